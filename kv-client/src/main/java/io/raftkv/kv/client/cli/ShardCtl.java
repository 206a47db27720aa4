package io.raftkv.kv.client.cli;

import io.raftkv.common.cli.DurationConverter;
import io.raftkv.common.cli.ExitCodes;
import io.raftkv.common.cli.HostPort;
import io.raftkv.common.cli.Mains;
import io.raftkv.common.client.ClientOptions;
import io.raftkv.common.client.RequestRejectedException;
import io.raftkv.common.client.ServiceUnavailableException;
import io.raftkv.common.shardctrler.ControllerClerk;
import io.raftkv.common.shardctrler.ShardConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/** {@code shardctl}: reads and changes the shard controller's configurations from the command line. */
@Command(name = "shardctl",
        mixinStandardHelpOptions = true,
        version = "shardctl (raftkv) 0.1.0",
        description = "Reads and changes the configurations of a sharded raftkv cluster: which replica group serves"
                + " each shard, and each group's servers. Every change makes a new numbered configuration.",
        subcommands = {
            ShardCtl.Join.class, ShardCtl.SetServers.class, ShardCtl.Leave.class, ShardCtl.Move.class,
            ShardCtl.Query.class,
            ShardCtl.Watch.class, CommandLine.HelpCommand.class
        },
        footerHeading = "%n",
        footer = {
            "Examples:",
            "  export KV_CONTROLLER=127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103",
            "  shardctl join 100=127.0.0.1:7201,127.0.0.1:7202,127.0.0.1:7203 200=127.0.0.1:7301",
            "  shardctl join --skip-joined 100=127.0.0.1:7201   (a no-op when group 100 is joined)",
            "  shardctl query",
            "  shardctl query 1 --json",
            "  shardctl move 3 200",
            "  shardctl set-servers 100=127.0.0.1:7201,127.0.0.1:7202,127.0.0.1:7204   (a replica replaced)",
            "  shardctl leave 100",
            "  shardctl watch",
            "",
            "Exit codes: 0 ok, 2 usage error, 3 controller unavailable or timed out (a change may or may not have"
                    + " been made), 4 request rejected as invalid (nothing changed)."
        })
public final class ShardCtl implements Callable<Integer> {
    static final String CONTROLLER_ENV = "KV_CONTROLLER";

    private final Function<String, String> environment;

    @Spec
    CommandSpec spec;

    @Option(names = "--controller", scope = ScopeType.INHERIT, split = ",", paramLabel = "HOST:PORT",
            converter = HostPort.Converter.class,
            description = "The controller's nodes, comma-separated. Default: the KV_CONTROLLER environment variable.")
    List<HostPort> controller;

    @Option(names = "--timeout", scope = ScopeType.INHERIT, paramLabel = "DURATION",
            converter = DurationConverter.class,
            description = "How long to keep trying one request, e.g. 500ms, 5s, 1m (default: 10s; without --timeout,"
                    + " a controller whose every node refuses the connection twice in a row fails at once).")
    Duration timeout;

    public ShardCtl() {
        this(System::getenv);
    }

    /** For tests: {@code environment} stands in for {@link System#getenv(String)}. */
    ShardCtl(Function<String, String> environment) {
        this.environment = environment;
    }

    public static void main(String[] args) {
        Mains.run(new ShardCtl(), args);
    }

    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "missing command: join, set-servers, leave, move, query or watch");
    }

    private List<HostPort> controller(CommandLine caller) {
        return ClusterAddresses.resolve(controller, "--controller", CONTROLLER_ENV, environment, caller);
    }

    /** Connects, runs {@code action}, and turns the clerk's failures into exit codes and one-line errors. */
    private int withClerk(CommandLine caller, Function<ControllerClerk, Integer> action) {
        List<HostPort> nodes = controller(caller);
        Duration limit = timeout == null ? ClientOptions.DEFAULT.timeout() : timeout;
        Duration attempt = limit.compareTo(Duration.ofSeconds(1)) < 0 ? limit : Duration.ofSeconds(1);
        ClientOptions options = ClientOptions.DEFAULT.withTimeout(limit).withAttemptTimeout(attempt);
        // As kv: without an explicit --timeout, a controller refusing every connection fails at once.
        try (ControllerClerk clerk = new ControllerClerk(nodes,
                timeout == null ? options.failingFastWhenAllRefuse() : options)) {
            return action.apply(clerk);
        } catch (ServiceUnavailableException e) {
            return KvCli.error(ExitCodes.UNAVAILABLE, e.getMessage());
        } catch (RequestRejectedException e) {
            return KvCli.error(ExitCodes.INVALID, "rejected: " + e.getMessage());
        }
    }

    private static int printChange(String what, long num) {
        System.out.println(what + ": configuration " + num);
        System.out.flush();
        return ExitCodes.OK;
    }

    @Command(name = "join", mixinStandardHelpOptions = true,
            description = "Adds replica groups and rebalances the shards over all groups.")
    static final class Join implements Callable<Integer> {
        @ParentCommand
        ShardCtl ctl;
        @Spec
        CommandSpec spec;
        @Parameters(arity = "1..*", paramLabel = "GID=HOST:PORT[,HOST:PORT...]",
                description = "A group: its id (a positive number) and its servers.")
        List<String> groups;
        @Option(names = "--skip-joined",
                description = "Read the latest configuration first and join only the groups it does not have"
                        + " (exit 0 when it has them all; a joined group keeps its servers). For a join that"
                        + " may run more than once, such as a deployment's start-up step.")
        boolean skipJoined;
        @Option(names = "--if-unconfigured",
                description = "Join only when the controller has no group yet (a new cluster); otherwise change"
                        + " nothing and exit 0. For a start-up step that runs on every start and must not undo a"
                        + " later leave (the sharded compose file's join).")
        boolean ifUnconfigured;

        @Override
        public Integer call() {
            if (skipJoined && ifUnconfigured) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "give --skip-joined or --if-unconfigured, not both");
            }
            Map<Long, List<String>> parsed = groupServers(spec.commandLine(), groups);
            return ctl.withClerk(spec.commandLine(), clerk -> {
                if (skipJoined) {
                    return joinMissing(clerk, parsed);
                }
                if (ifUnconfigured) {
                    return joinIfUnconfigured(clerk, parsed);
                }
                return printChange("joined", clerk.joinAddresses(parsed));
            });
        }

        /** Joins {@code wanted} on a controller that has no group yet; leaves a configured one as it is. */
        private static int joinIfUnconfigured(ControllerClerk clerk, Map<Long, List<String>> wanted) {
            ShardConfig latest = clerk.query(ControllerClerk.LATEST);
            if (!latest.groups().isEmpty()) {
                System.out.println("already configured: configuration " + latest.num() + " has "
                        + gidList(List.copyOf(latest.groups().keySet())) + "; nothing joined");
                System.out.flush();
                return ExitCodes.OK;
            }
            return printChange("joined", clerk.joinAddresses(wanted));
        }

        /**
         * Joins the groups of {@code wanted} that the latest configuration lacks. A join racing this one can still
         * add one of them in between; the controller then refuses ours as invalid (exit 4), and a rerun skips it.
         */
        private static int joinMissing(ControllerClerk clerk, Map<Long, List<String>> wanted) {
            ShardConfig latest = clerk.query(ControllerClerk.LATEST);
            Map<Long, List<String>> missing = new LinkedHashMap<>();
            List<Long> present = new ArrayList<>();
            wanted.forEach((gid, servers) -> {
                List<HostPort> joined = latest.groups().get(gid);
                if (joined == null) {
                    missing.put(gid, servers);
                    return;
                }
                present.add(gid);
                if (!sameServers(joined, servers)) {
                    // Not an error: the user may have joined the group by hand; but say what stays in place.
                    System.err.println("warning: group " + gid + " is already joined with servers "
                            + joined.stream().map(HostPort::toString).collect(Collectors.joining(","))
                            + ", not " + String.join(",", servers) + "; left as it is");
                    System.err.flush();
                }
            });
            if (missing.isEmpty()) {
                System.out.println("already joined: " + gidList(present) + " in configuration " + latest.num());
                System.out.flush();
                return ExitCodes.OK;
            }
            long num = clerk.joinAddresses(missing);
            System.out.println("joined: configuration " + num
                    + (present.isEmpty() ? "" : " (already joined: " + gidList(present) + ")"));
            System.out.flush();
            return ExitCodes.OK;
        }

        /** The same servers in the same order; a given address that does not parse is simply not the same. */
        private static boolean sameServers(List<HostPort> joined, List<String> given) {
            List<String> normalized = new ArrayList<>();
            for (String server : given) {
                try {
                    normalized.add(HostPort.parse(server).toString());
                } catch (IllegalArgumentException e) {
                    normalized.add(server);
                }
            }
            return joined.stream().map(HostPort::toString).toList().equals(normalized);
        }

        private static String gidList(List<Long> gids) {
            return (gids.size() == 1 ? "group " : "groups ")
                    + gids.stream().map(String::valueOf).collect(Collectors.joining(", "));
        }
    }

    /**
     * GID=HOST:PORT[,HOST:PORT...] arguments, by gid. Only the shape is checked here; the controller judges the values
     * (a gid that is not positive, a group without servers, a malformed address) and refuses them as invalid, exit 4.
     */
    static Map<Long, List<String>> groupServers(CommandLine caller, List<String> groups) {
        Map<Long, List<String>> parsed = new LinkedHashMap<>();
        for (String group : groups) {
            int equals = group.indexOf('=');
            if (equals <= 0) {
                throw new CommandLine.ParameterException(caller, "'" + group + "' is not GID=HOST:PORT[,HOST:PORT...]");
            }
            long gid = gid(caller, group.substring(0, equals));
            List<String> servers = new ArrayList<>();
            for (String server : group.substring(equals + 1).split(",")) {
                if (!server.isBlank()) {
                    servers.add(server.trim());
                }
            }
            if (parsed.put(gid, servers) != null) {
                throw new CommandLine.ParameterException(caller, "group " + gid + " is given twice");
            }
        }
        return parsed;
    }

    @Command(name = "set-servers", mixinStandardHelpOptions = true,
            description = "Replaces the server lists of joined groups, moving no shard: after a replica of a group"
                    + " was replaced (kv --cluster GROUP'S-NODES member add/promote/remove), so clients and the other"
                    + " groups reach its new members.")
    static final class SetServers implements Callable<Integer> {
        @ParentCommand
        ShardCtl ctl;
        @Spec
        CommandSpec spec;
        @Parameters(arity = "1..*", paramLabel = "GID=HOST:PORT[,HOST:PORT...]",
                description = "A joined group and its servers now.")
        List<String> groups;

        @Override
        public Integer call() {
            Map<Long, List<String>> parsed = groupServers(spec.commandLine(), groups);
            return ctl.withClerk(spec.commandLine(), clerk -> printChange("servers set", clerk.setServers(parsed)));
        }
    }

    @Command(name = "leave", mixinStandardHelpOptions = true,
            description = "Removes replica groups and rebalances their shards onto the rest.")
    static final class Leave implements Callable<Integer> {
        @ParentCommand
        ShardCtl ctl;
        @Spec
        CommandSpec spec;
        @Parameters(arity = "1..*", paramLabel = "GID")
        List<String> gids;

        @Override
        public Integer call() {
            List<Long> parsed = gids.stream().map(text -> gid(spec.commandLine(), text)).toList();
            return ctl.withClerk(spec.commandLine(), clerk -> printChange("left", clerk.leave(parsed)));
        }
    }

    @Command(name = "move", mixinStandardHelpOptions = true,
            description = "Gives one shard to one group, without rebalancing the others.")
    static final class Move implements Callable<Integer> {
        @ParentCommand
        ShardCtl ctl;
        @Spec
        CommandSpec spec;
        @Parameters(index = "0", paramLabel = "SHARD")
        int shard;
        @Parameters(index = "1", paramLabel = "GID")
        String gid;

        @Override
        public Integer call() {
            long target = gid(spec.commandLine(), gid);
            return ctl.withClerk(spec.commandLine(), clerk -> printChange("moved", clerk.move(shard, target)));
        }
    }

    @Command(name = "query", mixinStandardHelpOptions = true,
            description = "Shows a configuration (the latest without NUM): each shard's group and each group's"
                    + " servers.")
    static final class Query implements Callable<Integer> {
        @ParentCommand
        ShardCtl ctl;
        @Spec
        CommandSpec spec;
        @Parameters(index = "0", arity = "0..1", paramLabel = "NUM",
                description = "The configuration number; past the latest (or omitted) means the latest.")
        Long num;
        @Option(names = "--json", description = "Print {\"num\":N,\"shards\":[...],\"groups\":{...}} on one line.")
        boolean json;

        @Override
        public Integer call() {
            if (num != null && num < 0) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "NUM must be 0 or more (omit it for the latest), not " + num);
            }
            return ctl.withClerk(spec.commandLine(), clerk -> {
                ShardConfig config = clerk.query(num == null ? ControllerClerk.LATEST : num);
                System.out.print(json ? config.toJson() + "\n" : ConfigTable.render(config));
                System.out.flush();
                return ExitCodes.OK;
            });
        }
    }

    @Command(name = "watch", mixinStandardHelpOptions = true,
            description = "Prints the latest configuration, then each new one as it appears (none is skipped),"
                    + " until interrupted or --count have been printed. While the controller is unreachable it"
                    + " warns on stderr and keeps trying.")
    static final class Watch implements Callable<Integer> {
        @ParentCommand
        ShardCtl ctl;
        @Spec
        CommandSpec spec;
        @Option(names = "--interval", paramLabel = "DURATION", defaultValue = "1s",
                converter = DurationConverter.class,
                description = "How often to ask for the latest configuration (default: ${DEFAULT-VALUE}).")
        Duration interval;
        @Option(names = "--count", paramLabel = "N",
                description = "Stop after printing N configurations (default: never).")
        Long count;
        @Option(names = "--json", description = "One JSON line per configuration.")
        boolean json;

        @Override
        public Integer call() {
            if (interval.isNegative() || interval.isZero()) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--interval must be positive");
            }
            if (count != null && count < 1) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--count must be at least 1");
            }
            return ctl.withClerk(spec.commandLine(), clerk -> {
                long printed = 0;
                long next = -1; // the first round prints the latest, whatever its number
                while (count == null || printed < count) {
                    try {
                        ShardConfig latest = clerk.query(ControllerClerk.LATEST);
                        long from = next < 0 ? latest.num() : next;
                        for (long num = from; num <= latest.num() && (count == null || printed < count); num++) {
                            ShardConfig config = num == latest.num() ? latest : clerk.query(num);
                            System.out.print(json ? config.toJson() + "\n" : ConfigTable.render(config) + "\n");
                            System.out.flush();
                            printed++;
                            next = num + 1;
                        }
                    } catch (ServiceUnavailableException e) {
                        System.err.println("warning: " + e.getMessage() + " (still watching)");
                        System.err.flush();
                    }
                    if (count != null && printed >= count) {
                        break;
                    }
                    try {
                        Thread.sleep(interval);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
                return ExitCodes.OK;
            });
        }
    }

    /** A group id as a number; whether it is a valid one (positive) is the controller's to say. */
    private static long gid(CommandLine caller, String text) {
        try {
            return Long.parseLong(text.trim());
        } catch (NumberFormatException e) {
            throw new CommandLine.ParameterException(caller, "'" + text + "' is not a group id (a positive number)");
        }
    }
}
