package io.raftkv.mapreduce.coordinator;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.raftkv.mapreduce.io.AtomicFileWriter;
import io.raftkv.mapreduce.io.JobFiles;
import io.raftkv.mapreduce.io.SplitReader;
import io.raftkv.mapreduce.transfer.FileRangeStreamer;
import io.raftkv.proto.mapreduce.DataChunk;
import io.raftkv.proto.mapreduce.OutputChunk;
import io.raftkv.proto.mapreduce.ReadInputRequest;
import io.raftkv.proto.mapreduce.WriteOutputReply;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordinator's file traffic for workers that share no directory with it: serves map tasks their input splits
 * (widened to whole lines, as a worker reading the file itself would) and stores the reduce outputs they upload,
 * each renamed into place only once complete and on disk.
 */
final class JobDataService {
    private static final Logger log = LoggerFactory.getLogger(JobDataService.class);

    private final Job job;

    JobDataService(Job job) {
        this.job = job;
    }

    void readInput(ReadInputRequest request, StreamObserver<DataChunk> responses) {
        if (!request.getJobId().equals(job.id())) {
            responses.onError(wrongJob(request.getJobId()));
            return;
        }
        if (request.getMapTask() < 0 || request.getMapTask() >= job.splits().size()) {
            responses.onError(Status.NOT_FOUND.withDescription("job " + job.id() + " has no map task "
                    + request.getMapTask()).asRuntimeException());
            return;
        }
        Job.Split split = job.splits().get(request.getMapTask());
        String what = "input of map task " + request.getMapTask() + " (" + split.name() + ")";
        SplitReader.Range range;
        try (FileChannel channel = FileChannel.open(split.path(), StandardOpenOption.READ)) {
            range = SplitReader.lineRange(channel, split.offset(), split.length());
        } catch (IOException e) {
            responses.onError(Status.DATA_LOSS.withDescription("cannot read " + what + ": " + e)
                    .asRuntimeException());
            return;
        }
        try {
            FileRangeStreamer.start(split.path(), range.begin(), range.end(), responses, what);
        } catch (IOException e) {
            responses.onError(Status.DATA_LOSS.withDescription("cannot read " + what + ": " + e)
                    .asRuntimeException());
        }
    }

    StreamObserver<OutputChunk> writeOutput(StreamObserver<WriteOutputReply> responses) {
        return new OutputReceiver(responses);
    }

    private StatusRuntimeException wrongJob(String jobId) {
        return Status.FAILED_PRECONDITION.withDescription("this coordinator runs job " + job.id() + ", not job '"
                + jobId + "'").asRuntimeException();
    }

    /**
     * One upload: the first chunk names the attempt and partition. Copies of one reduce task write the same bytes,
     * so concurrent uploads of a partition are harmless: each goes to its own temp file and the renames are atomic.
     */
    private final class OutputReceiver implements StreamObserver<OutputChunk> {
        private final StreamObserver<WriteOutputReply> responses;
        private AtomicFileWriter writer;
        private String what;
        private boolean failed;

        OutputReceiver(StreamObserver<WriteOutputReply> responses) {
            this.responses = responses;
        }

        @Override
        public void onNext(OutputChunk chunk) {
            if (failed) {
                return;
            }
            try {
                if (writer == null) {
                    open(chunk);
                }
                writer.write(chunk.getData().toByteArray());
            } catch (StatusRuntimeException e) {
                fail(e);
            } catch (IOException e) {
                fail(Status.UNAVAILABLE.withDescription("cannot store " + what + ": " + e).asRuntimeException());
            }
        }

        private void open(OutputChunk first) throws IOException {
            if (!first.getJobId().equals(job.id())) {
                throw wrongJob(first.getJobId());
            }
            if (first.getPartition() < 0 || first.getPartition() >= job.reduces()) {
                throw Status.INVALID_ARGUMENT.withDescription("job " + job.id() + " has no partition "
                        + first.getPartition()).asRuntimeException();
            }
            what = "output of reduce task " + first.getPartition() + " (attempt " + first.getAttemptId() + ")";
            writer = new AtomicFileWriter(JobFiles.output(job.workDir(), first.getPartition()));
        }

        @Override
        public void onError(Throwable t) {
            // The worker gave up (or went away) half way: keep no partial file.
            if (writer != null) {
                writer.abort();
            }
            failed = true;
        }

        @Override
        public void onCompleted() {
            if (failed) {
                return;
            }
            if (writer == null) {
                fail(Status.INVALID_ARGUMENT.withDescription("an upload with no chunks").asRuntimeException());
                return;
            }
            try {
                // Forced to disk: once the worker hears "stored" it reports success, and the job counts on the file.
                writer.commit(true);
                log.debug("stored {}: {} bytes", what, writer.bytes());
                responses.onNext(WriteOutputReply.newBuilder().setBytes(writer.bytes()).build());
                responses.onCompleted();
            } catch (IOException e) {
                fail(Status.UNAVAILABLE.withDescription("cannot store " + what + ": " + e).asRuntimeException());
            }
        }

        private void fail(StatusRuntimeException status) {
            failed = true;
            if (writer != null) {
                writer.abort();
            }
            log.warn("rejected an upload: {}", status.getStatus().getDescription());
            responses.onError(status);
        }
    }
}
