package io.raftkv.mapreduce.worker;

import io.raftkv.common.io.FileTrees;
import io.raftkv.mapreduce.io.JobFiles;
import io.raftkv.mapreduce.io.PartitionChecksum;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's own disk space for a job it takes part in without a shared directory: the map outputs it serves
 * ({@code job-ID/mr-X-Y}) and the partitions its reduce attempts fetched ({@code job-ID/reduce-ATTEMPT/}). Everything
 * here is re-created by re-running tasks when lost, so the worker deletes it when it exits.
 */
final class LocalStore implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LocalStore.class);
    /** Job ids are the coordinator's hex ids; anything else is refused before it becomes a path. */
    private static final Pattern JOB_ID = Pattern.compile("[0-9a-f]{1,16}");

    private final Path root;

    /**
     * Opens {@code root}, deleting job files an earlier worker left there (killed before it could clean up): a
     * restarted worker never serves outputs it did not write itself. One worker per directory.
     */
    LocalStore(Path root) throws IOException {
        this.root = Files.createDirectories(root.toAbsolutePath().normalize());
        close();
    }

    Path root() {
        return root;
    }

    static boolean isValidJobId(String jobId) {
        return JOB_ID.matcher(jobId).matches();
    }

    /** The directory map task outputs of the job go to (created on first use). */
    Path jobDir(String jobId) throws IOException {
        return Files.createDirectories(root.resolve("job-" + checked(jobId)));
    }

    /** Map task X's partition Y, if this worker holds it; null otherwise. */
    Path existingMapOutput(String jobId, int mapTask, int partition) {
        Path file = JobFiles.intermediate(root.resolve("job-" + checked(jobId)), mapTask, partition);
        // The checksum is written last: without it the output is not complete.
        return Files.isRegularFile(file) && Files.isRegularFile(PartitionChecksum.fileBeside(file)) ? file : null;
    }

    /** A fresh directory for the partitions one reduce attempt fetches. */
    Path fetchDir(String jobId, long attemptId) throws IOException {
        Path dir = jobDir(jobId).resolve("reduce-" + attemptId);
        FileTrees.deleteRecursively(dir);
        return Files.createDirectories(dir);
    }

    private static String checked(String jobId) {
        if (!isValidJobId(jobId)) {
            throw new IllegalArgumentException("not a job id: '" + jobId + "'");
        }
        return jobId;
    }

    /** Deletes every job's files (the root directory itself stays when the user named it). */
    @Override
    public void close() {
        try (var jobs = Files.newDirectoryStream(root, "job-*")) {
            for (Path job : jobs) {
                FileTrees.deleteRecursively(job);
            }
        } catch (IOException e) {
            log.warn("could not delete the job files in {}: {}", root, e.toString());
        }
    }
}
