package io.raftkv.kv.client.cli;

import io.raftkv.common.cli.DurationConverter;
import io.raftkv.common.cli.ExitCodes;
import io.raftkv.common.cli.HostPort;
import io.raftkv.common.cli.Mains;
import io.raftkv.common.shardctrler.ShardConfig;
import io.raftkv.kv.client.AddressMap;
import io.raftkv.kv.client.Clerk;
import io.raftkv.kv.client.KvClient;
import io.raftkv.kv.client.NodeReport;
import io.raftkv.kv.client.ShardedClerk;
import io.raftkv.common.client.ClientOptions;
import io.raftkv.kv.client.GetResult;
import io.raftkv.kv.client.KvInvalidArgumentException;
import io.raftkv.kv.client.KvUnavailableException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.function.IntSupplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/** {@code kv}: reads and writes a raftkv cluster from the command line. */
@Command(name = "kv",
        mixinStandardHelpOptions = true,
        version = "kv (raftkv) 0.1.0",
        description = "Reads and writes the raftkv key/value store. Keys and values are UTF-8 text; "
                + "a value of '-' is read from standard input.",
        subcommands = {
            KvCli.Put.class, KvCli.Get.class, KvCli.Append.class, KvCli.Delete.class, KvCli.StatusCommand.class,
            BenchCommand.class, MemberCommand.class, MemberCommand.MoveLeader.class, SnapshotCommand.class,
            DashboardCommand.class,
            CommandLine.HelpCommand.class
        },
        footerHeading = "%n",
        footer = {
            "Examples:",
            "  kv --cluster 127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003 put greeting hello",
            "  export KV_CLUSTER=127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003",
            "  kv get greeting",
            "  echo -n world | kv append greeting -",
            "  kv status",
            "  kv bench --workload mixed --clients 16 --duration 30s",
            "  kv member list                  (kv member --help: adding, promoting and removing members)",
            "  kv move-leader n2",
            "  kv snapshot save backup.db      (kv snapshot --help: checking a backup, restoring a cluster)",
            "  kv dashboard                    (a page of the whole cluster on http://127.0.0.1:8080/)",
            "  kv --controller 127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003 put greeting hello   (bin/cluster up --sharded)",
            "  kv --controller localhost:7101 --address-map '*=localhost' get greeting   (the sharded compose cluster)",
            "",
            "Exit codes: 0 ok, 1 key not found, 2 usage error, 3 cluster unavailable or timed out, "
                    + "4 request rejected as invalid."
        })
public final class KvCli implements Callable<Integer> {
    static final String CLUSTER_ENV = "KV_CLUSTER";
    static final String CONTROLLER_ENV = "KV_CONTROLLER";
    static final String ADDRESS_MAP_ENV = "KV_ADDRESS_MAP";

    private final Function<String, String> environment;

    @Spec
    CommandSpec spec;

    @Option(names = "--cluster", scope = ScopeType.INHERIT, split = ",", paramLabel = "HOST:PORT",
            converter = HostPort.Converter.class,
            description = "The cluster's nodes, comma-separated (any subset works; all is best). "
                    + "Default: the KV_CLUSTER environment variable.")
    List<HostPort> cluster;

    @Option(names = "--controller", scope = ScopeType.INHERIT, split = ",", paramLabel = "HOST:PORT",
            converter = HostPort.Converter.class,
            description = "A sharded store: its shard controller's nodes, comma-separated. Keys are routed to the"
                    + " replica group serving their shard. Default: the KV_CONTROLLER environment variable (used"
                    + " when neither --cluster nor --controller is given).")
    List<HostPort> controller;

    @Option(names = "--address-map", scope = ScopeType.INHERIT, paramLabel = "FROM=TO[,...]",
            description = "A sharded store: where to dial the group servers the controller names. FROM is a host,"
                    + " host:port or * (every host); TO a host (the port is kept) or host:port. For a compose"
                    + " cluster seen from its host, '*=localhost'. Default: the KV_ADDRESS_MAP environment variable.")
    String addressMap;

    @Option(names = "--timeout", scope = ScopeType.INHERIT, paramLabel = "DURATION",
            converter = DurationConverter.class,
            description = "How long to keep trying, e.g. 500ms, 5s, 1m (default: 10s; without --timeout, a cluster"
                    + " whose every node refuses the connection twice in a row fails at once).")
    Duration timeout;

    public KvCli() {
        this(System::getenv);
    }

    /** For tests: {@code environment} stands in for {@link System#getenv(String)}. */
    KvCli(Function<String, String> environment) {
        this.environment = environment;
    }

    public static void main(String[] args) {
        Mains.run(new KvCli(), args);
    }

    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "missing command: put, get, append, delete, status, bench, member, move-leader, snapshot or dashboard");
    }

    /**
     * The store to talk to: a flag wins over the environment, --controller (or KV_CONTROLLER) means a sharded store,
     * --cluster (or KV_CLUSTER) an unsharded one; a usage error if nothing gives one, or both flags are given.
     */
    Store store(CommandLine caller) {
        boolean clusterFlag = cluster != null && !cluster.isEmpty();
        boolean controllerFlag = controller != null && !controller.isEmpty();
        if (clusterFlag && controllerFlag) {
            throw new CommandLine.ParameterException(caller,
                    "give --cluster (an unsharded store) or --controller (a sharded one), not both");
        }
        if (controllerFlag) {
            return new Store(controller, addressMap(caller));
        }
        if (!clusterFlag) {
            String fromEnvironment = environment.apply(CONTROLLER_ENV);
            if (fromEnvironment != null && !fromEnvironment.isBlank()) {
                return new Store(ClusterAddresses.resolve(null, "--controller", CONTROLLER_ENV, environment, caller),
                        addressMap(caller));
            }
        }
        if (addressMap != null) {
            throw new CommandLine.ParameterException(caller,
                    "--address-map applies to a sharded store (--controller), not to --cluster");
        }
        String fromEnvironment = environment.apply(CLUSTER_ENV);
        if (!clusterFlag && (fromEnvironment == null || fromEnvironment.isBlank())) {
            throw new CommandLine.ParameterException(caller, "no cluster given: use --cluster HOST:PORT,... or set "
                    + CLUSTER_ENV + " (a sharded store: --controller HOST:PORT,... or " + CONTROLLER_ENV + ")");
        }
        return new Store(ClusterAddresses.resolve(cluster, "--cluster", CLUSTER_ENV, environment, caller), null);
    }

    /** The --address-map rules, else KV_ADDRESS_MAP's; a usage error naming the bad rule. */
    private AddressMap addressMap(CommandLine caller) {
        boolean fromFlag = addressMap != null;
        String text = fromFlag ? addressMap : environment.apply(ADDRESS_MAP_ENV);
        try {
            return AddressMap.parse(text);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(caller,
                    (fromFlag ? "--address-map" : ADDRESS_MAP_ENV) + ": " + e.getMessage());
        }
    }

    /**
     * Where the store is: an unsharded cluster's nodes (no address map), or a sharded store's controller and the map
     * its group addresses go through.
     */
    record Store(List<HostPort> addresses, AddressMap addressMap) {
        boolean sharded() {
            return addressMap != null;
        }

        KvClient connect(ClientOptions options) {
            return sharded() ? ShardedClerk.connect(addresses, options, addressMap)
                    : Clerk.connect(addresses, options);
        }
    }

    /** Connects, runs {@code action}, and turns the client's typed failures into exit codes and one-line errors. */
    int withClerk(CommandLine caller, Function<KvClient, Integer> action) {
        return withClerk(caller, false, action);
    }

    /**
     * As above; {@code wholeTimeoutPerAttempt} gives one request the whole --timeout (status asks each node once, and
     * a fresh JVM's first call, connection included, can take over a second on a busy machine).
     */
    int withClerk(CommandLine caller, boolean wholeTimeoutPerAttempt, Function<KvClient, Integer> action) {
        Store store = store(caller);
        try (KvClient client = store.connect(options(wholeTimeoutPerAttempt))) {
            return action.apply(client);
        } catch (KvUnavailableException e) {
            return error(ExitCodes.UNAVAILABLE, e.getMessage());
        } catch (KvInvalidArgumentException e) {
            return error(ExitCodes.INVALID, "rejected: " + e.getMessage());
        }
    }

    /**
     * The nodes of the one Raft group a command acts on (member, move-leader, snapshot save), from --cluster; a usage
     * error starting with {@code what} if the store is given as a sharded one (--controller).
     */
    List<HostPort> groupNodes(CommandLine caller, String what) {
        Store store = store(caller);
        if (store.sharded()) {
            throw new CommandLine.ParameterException(caller, what + ": give its nodes with --cluster (a shard"
                    + " group's, or the controller's), not --controller");
        }
        return store.addresses();
    }

    /** Runs a call to a group's nodes, turning the client's typed failures into exit codes and one-line errors. */
    static int groupCall(IntSupplier call) {
        try {
            return call.getAsInt();
        } catch (KvUnavailableException e) {
            return error(ExitCodes.UNAVAILABLE, e.getMessage());
        } catch (KvInvalidArgumentException e) {
            return error(ExitCodes.INVALID, e.getMessage());
        }
    }

    ClientOptions options(boolean wholeTimeoutPerAttempt) {
        Duration limit = timeout == null ? ClientOptions.DEFAULT.timeout() : timeout;
        Duration attempt = wholeTimeoutPerAttempt || limit.compareTo(Duration.ofSeconds(1)) < 0 ? limit
                : Duration.ofSeconds(1);
        ClientOptions options = ClientOptions.DEFAULT.withTimeout(limit).withAttemptTimeout(attempt);
        // A person at a prompt: a cluster that refuses every connection is down, no need to wait it out. An explicit
        // --timeout asks to wait (a script waiting for a cluster to start, say).
        return timeout == null ? options.failingFastWhenAllRefuse() : options;
    }

    static int error(int code, String message) {
        PrintStream err = System.err;
        err.println("error: " + message);
        err.flush();
        return code;
    }

    static void printOk() {
        System.out.println("OK");
        System.out.flush();
    }

    /** A value argument: the text itself, or standard input when it is '-'. */
    static byte[] value(CommandLine caller, String argument) {
        if (!argument.equals("-")) {
            return argument.getBytes(StandardCharsets.UTF_8);
        }
        try {
            return System.in.readAllBytes();
        } catch (IOException e) {
            throw new CommandLine.ParameterException(caller, "cannot read the value from standard input: " + e);
        }
    }

    static byte[] key(String key) {
        return key.getBytes(StandardCharsets.UTF_8);
    }

    /** {@code put} and {@code append}: KEY and VALUE (or '-' for stdin), then one write through the Clerk. */
    abstract static class WriteCommand implements Callable<Integer> {
        @ParentCommand
        KvCli kv;
        @Spec
        CommandSpec spec;
        @Parameters(index = "0", paramLabel = "KEY")
        String key;
        @Parameters(index = "1", paramLabel = "VALUE", description = "The value, or '-' to read it from stdin.")
        String value;

        abstract void write(KvClient clerk, byte[] key, byte[] value);

        @Override
        public Integer call() {
            byte[] bytes = value(spec.commandLine(), value);
            return kv.withClerk(spec.commandLine(), clerk -> {
                write(clerk, key(key), bytes);
                printOk();
                return ExitCodes.OK;
            });
        }
    }

    @Command(name = "put", mixinStandardHelpOptions = true, description = "Sets KEY to VALUE.")
    static final class Put extends WriteCommand {
        @Override
        void write(KvClient clerk, byte[] key, byte[] value) {
            clerk.put(key, value);
        }
    }

    @Command(name = "append", mixinStandardHelpOptions = true,
            description = "Appends VALUE to the value of KEY (a missing key counts as empty).")
    static final class Append extends WriteCommand {
        @Override
        void write(KvClient clerk, byte[] key, byte[] value) {
            clerk.append(key, value);
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true,
            description = "Prints the value of KEY (exit code 1 if there is no such key).")
    static final class Get implements Callable<Integer> {
        @ParentCommand
        KvCli kv;
        @Spec
        CommandSpec spec;
        @Parameters(index = "0", paramLabel = "KEY")
        String key;
        @Option(names = {"-n", "--no-newline"}, description = "Print the value's bytes exactly, without a newline.")
        boolean noNewline;

        @Override
        public Integer call() {
            return kv.withClerk(spec.commandLine(), clerk -> {
                GetResult result = clerk.get(key(key));
                if (result instanceof GetResult.Found found) {
                    System.out.write(found.value(), 0, found.value().length);
                    if (!noNewline) {
                        System.out.write('\n');
                    }
                    System.out.flush();
                    return ExitCodes.OK;
                }
                return error(ExitCodes.FAILURE, "key '" + key + "' not found");
            });
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = "Deletes KEY (exit code 1 if there was no such key).")
    static final class Delete implements Callable<Integer> {
        @ParentCommand
        KvCli kv;
        @Spec
        CommandSpec spec;
        @Parameters(index = "0", paramLabel = "KEY")
        String key;

        @Override
        public Integer call() {
            return kv.withClerk(spec.commandLine(), clerk -> {
                if (clerk.delete(key(key))) {
                    printOk();
                    return ExitCodes.OK;
                }
                return error(ExitCodes.FAILURE, "key '" + key + "' not found");
            });
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Shows every node: id, address, role, term, leader, commit and applied index, last contact "
                    + "with the leader. Each node has up to --timeout to answer. Exit code 3 if no node answers.")
    static final class StatusCommand implements Callable<Integer> {
        @ParentCommand
        KvCli kv;
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            Store store = kv.store(spec.commandLine());
            if (store.sharded()) {
                return kv.withClerk(spec.commandLine(), true, clerk -> shardedStatus((ShardedClerk) clerk));
            }
            return kv.withClerk(spec.commandLine(), true, clerk -> {
                StatusTable table = new StatusTable(((Clerk) clerk).status());
                System.out.print(table.render());
                System.out.flush();
                if (!table.anyReachable()) {
                    return error(ExitCodes.UNAVAILABLE, "no node of the cluster answered");
                }
                return ExitCodes.OK;
            });
        }

        private static int shardedStatus(ShardedClerk clerk) {
            ShardConfig config = clerk.configuration();
            System.out.println("configuration " + config.num() + " (from the controller)");
            Map<Long, List<NodeReport>> groups = clerk.groupStatus();
            boolean anyDown = false;
            for (Map.Entry<Long, List<NodeReport>> group : groups.entrySet()) {
                StatusTable table = new StatusTable(group.getValue());
                System.out.println();
                System.out.println("group " + group.getKey() + ": " + GroupShards.describe(group.getValue()));
                System.out.print(table.render());
                anyDown |= !table.anyReachable();
            }
            System.out.flush();
            if (anyDown) {
                return error(ExitCodes.UNAVAILABLE, "no node of some group answered");
            }
            return ExitCodes.OK;
        }
    }
}
