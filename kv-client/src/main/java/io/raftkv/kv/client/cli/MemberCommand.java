package io.raftkv.kv.client.cli;

import io.raftkv.common.cli.ExitCodes;
import io.raftkv.common.cli.HostPort;
import io.raftkv.kv.client.MembersClient;
import io.raftkv.proto.members.Member;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code kv member ...} and {@code kv move-leader}: a group's membership, read and changed through its leader, as
 * etcdctl's member commands do. They act on the nodes of --cluster: the KV cluster, or the nodes of one shard group or
 * of the shard controller.
 */
@Command(name = "member", mixinStandardHelpOptions = true,
        description = "Lists and changes the members of the group at --cluster (a KV cluster, or the nodes of one"
                + " shard group or of the shard controller), one member at a time.",
        footerHeading = "%n",
        footer = {
            "Replacing a node n3 by n4: start n4 with --join and --peers naming the members and itself, then",
            "  kv member add n4=10.0.0.4:7001 --learner",
            "  kv member promote n4        (refused, saying by how much, until n4's log has caught up)",
            "  kv member remove n3",
            "Exit codes: 0 ok, 2 usage error, 3 cluster unavailable or timed out, 4 refused (the message says why)."
        })
final class MemberCommand implements Callable<Integer> {
    @ParentCommand
    KvCli kv;
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: list, add, promote or remove");
    }

    /** Connects to the group at --cluster and runs {@code action}, turning failures into exit codes. */
    static int withMembers(KvCli kv, CommandLine caller, Function<MembersClient, Integer> action) {
        List<HostPort> nodes = kv.groupNodes(caller, "member commands act on one group");
        // A change is not retried after an attempt times out: it may have committed (a learner's promotion waits for
        // its entry, which can queue behind a large snapshot), and the retry would be refused ("already a voter").
        return KvCli.groupCall(() -> {
            try (MembersClient members = new MembersClient(nodes, kv.options(true))) {
                return action.apply(members);
            }
        });
    }

    /** One line per member, as {@code member list} prints them. */
    static String table(List<Member> members) {
        StringBuilder out = new StringBuilder(String.format("%-12s %-24s %-8s %-7s %s%n", "ID", "ADDRESS", "ROLE",
                "LEADER", "LAG"));
        for (Member m : members) {
            out.append(String.format("%-12s %-24s %-8s %-7s %d%n", m.getId(), m.getAddress(),
                    m.getLearner() ? "learner" : "voter", m.getLeader() ? "yes" : "", m.getLag()));
        }
        return out.toString();
    }

    static String json(List<Member> members) {
        StringBuilder out = new StringBuilder("{\"members\":[");
        for (int i = 0; i < members.size(); i++) {
            Member m = members.get(i);
            out.append(i == 0 ? "" : ",").append("{\"id\":").append(Json.quoted(m.getId()))
                    .append(",\"address\":").append(Json.quoted(m.getAddress()))
                    .append(",\"role\":\"").append(m.getLearner() ? "learner" : "voter").append('"')
                    .append(",\"leader\":").append(m.getLeader())
                    .append(",\"lag\":").append(m.getLag()).append('}');
        }
        return out.append("]}").toString();
    }

    private static int print(List<Member> members) {
        System.out.print(table(members));
        System.out.flush();
        return ExitCodes.OK;
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "Lists the members: id, address, voter or learner, the leader, and how many entries each"
                    + " one's log is behind the leader's.")
    int list(@Option(names = "--json", description = "Print {\"members\":[{\"id\":...,\"address\":...,"
            + "\"role\":\"voter\",\"leader\":true,\"lag\":0},...]} on one line.") boolean json) {
        return withMembers(kv, subcommand("list"), members -> {
            List<Member> list = members.list();
            if (!json) {
                return print(list);
            }
            System.out.println(json(list));
            System.out.flush();
            return ExitCodes.OK;
        });
    }

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = "Adds a node as a learner: it receives the log but does not vote until promoted. Start it"
                    + " with --join first.")
    int add(@Parameters(paramLabel = "ID=HOST:PORT", description = "The new node's id and the address its peers"
                    + " reach.") String node,
            @Option(names = "--learner", description = "Add as a learner (required: a voter is made by promotion,"
                    + " once its log has caught up).") boolean learner) {
        CommandLine caller = subcommand("add");
        int eq = node.indexOf('=');
        if (eq <= 0 || eq == node.length() - 1) {
            throw new CommandLine.ParameterException(caller, "'" + node + "' is not ID=HOST:PORT");
        }
        HostPort address;
        try {
            address = HostPort.parse(node.substring(eq + 1));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(caller, e.getMessage());
        }
        if (!learner) {
            throw new CommandLine.ParameterException(caller, "a node is added as a learner (--learner) and made a"
                    + " voter with 'kv member promote' once it has caught up");
        }
        String id = node.substring(0, eq);
        return withMembers(kv, caller, members -> print(members.addLearner(id, address)));
    }

    @Command(name = "promote", mixinStandardHelpOptions = true,
            description = "Makes a learner a voter; refused, saying by how much, while its log lags too far behind.")
    int promote(@Parameters(paramLabel = "ID") String id) {
        return withMembers(kv, subcommand("promote"), members -> print(members.promote(id)));
    }

    @Command(name = "remove", mixinStandardHelpOptions = true,
            description = "Removes a voter or a learner. A leader that removes itself hands leadership on.")
    int remove(@Parameters(paramLabel = "ID") String id) {
        return withMembers(kv, subcommand("remove"), members -> print(members.remove(id)));
    }

    private CommandLine subcommand(String name) {
        return spec.commandLine().getSubcommands().get(name);
    }

    /** {@code kv move-leader ID}. */
    @Command(name = "move-leader", mixinStandardHelpOptions = true,
            description = "Hands leadership of the group at --cluster to voter ID, and returns once it leads (before"
                    + " maintenance on the leader's machine, say).")
    static final class MoveLeader implements Callable<Integer> {
        @ParentCommand
        KvCli kv;
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "ID")
        String id;

        @Override
        public Integer call() {
            return withMembers(kv, spec.commandLine(), members -> {
                members.moveLeader(id);
                KvCli.printOk();
                return ExitCodes.OK;
            });
        }
    }
}
