package io.raftkv.kv.client.cli;

import io.raftkv.common.backup.BackupFile;
import io.raftkv.common.backup.BackupHeader;
import io.raftkv.common.cli.DurationConverter;
import io.raftkv.common.cli.ExitCodes;
import io.raftkv.common.cli.HostPort;
import io.raftkv.kv.client.BackupClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code kv snapshot save FILE} and {@code kv snapshot status FILE}: backups of a group's state, as etcdctl's snapshot
 * commands take and describe them; {@code kv-server --restore FILE} starts a new cluster from one.
 */
@Command(name = "snapshot", mixinStandardHelpOptions = true,
        description = "Saves a backup of the group at --cluster (its state at one applied index, taken from the"
                + " leader) and checks a saved one.",
        footerHeading = "%n",
        footer = {
            "Backing up and restoring a cluster:",
            "  kv snapshot save backup.db",
            "  kv snapshot status backup.db",
            "  kv-server --restore backup.db --id n1 --peers n1=...,n2=... --data-dir new/n1   (each new member)",
            "Exit codes: 0 ok, 1 the file is damaged or cannot be written, 2 usage error, 3 cluster unavailable or"
                    + " timed out."
        })
final class SnapshotCommand implements Callable<Integer> {
    @ParentCommand
    KvCli kv;
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: save or status");
    }

    @Command(name = "save", mixinStandardHelpOptions = true,
            description = "Writes a backup of the group's state to FILE: captured by the leader after a read barrier"
                    + " (so it holds every write acknowledged before the command started), written to FILE.part,"
                    + " fsynced, checked and renamed to FILE.")
    int save(@Parameters(paramLabel = "FILE") Path file,
            @Option(names = "--group", paramLabel = "GROUP", defaultValue = "",
                    description = "The group to back up, when the nodes run several (default: their first).")
            String group,
            @Option(names = "--transfer-timeout", paramLabel = "DURATION", defaultValue = "30m",
                    converter = DurationConverter.class,
                    description = "How long the transfer may take (default: ${DEFAULT-VALUE}).")
            Duration transferTimeout) {
        CommandLine caller = spec.commandLine().getSubcommands().get("save");
        List<HostPort> nodes = kv.groupNodes(caller, "a backup is of one group");
        long start = System.nanoTime();
        return KvCli.groupCall(() -> {
            try (BackupClient backups = new BackupClient(nodes, kv.options(false))) {
                BackupFile saved = backups.save(group, file, transferTimeout);
                long millis = Math.max(1, (System.nanoTime() - start) / 1_000_000);
                System.out.printf("saved %s: group %s, index %d, term %d, %,d bytes in %,d ms (%.1f MB/s)%n", file,
                        saved.header().group(), saved.header().index(), saved.header().term(), saved.fileLength(),
                        millis, saved.fileLength() / 1e3 / millis);
                System.out.flush();
                return ExitCodes.OK;
            } catch (UncheckedIOException e) {
                return KvCli.error(ExitCodes.FAILURE, e.getCause().getMessage());
            }
        });
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Checks FILE whole (framing and checksum) and prints what it holds.")
    int status(@Parameters(paramLabel = "FILE") Path file,
            @Option(names = "--json", description = "Print the header as one JSON object.") boolean json) {
        BackupFile backup;
        try {
            backup = BackupFile.verify(file);
        } catch (IOException e) {
            return KvCli.error(ExitCodes.FAILURE, e.getMessage());
        }
        BackupHeader h = backup.header();
        if (json) {
            System.out.println("{\"format\":" + BackupFile.FORMAT + ",\"group\":" + Json.quoted(h.group())
                    + ",\"cluster_id\":" + Json.quoted(h.clusterId()) + ",\"source_node\":"
                    + Json.quoted(h.sourceNode()) + ",\"index\":" + h.index() + ",\"term\":" + h.term()
                    + ",\"created\":" + Json.quoted(Instant.ofEpochMilli(h.createdMillis()).toString())
                    + ",\"members\":" + Json.list(h.members()) + ",\"details\":" + Json.object(h.details())
                    + ",\"bytes\":" + backup.fileLength()
                    + ",\"checksum\":" + Json.quoted(backup.checksumHex()) + "}");
        } else {
            System.out.printf("format     %d%ngroup      %s%ncluster    %s%nfrom node  %s%nindex      %d%n"
                    + "term       %d%ncreated    %s%nmembers    %s%nbytes      %,d%nchecksum   %s (ok)%n",
                    BackupFile.FORMAT, h.group(), h.clusterId(), h.sourceNode(), h.index(), h.term(),
                    Instant.ofEpochMilli(h.createdMillis()), String.join(",", h.members()), backup.fileLength(),
                    backup.checksumHex());
            h.details().forEach((name, value) -> System.out.printf("%-10s %s%n", name, value));
        }
        System.out.flush();
        return ExitCodes.OK;
    }
}
