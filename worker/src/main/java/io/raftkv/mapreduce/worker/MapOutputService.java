package io.raftkv.mapreduce.worker;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.raftkv.mapreduce.io.PartitionChecksum;
import io.raftkv.mapreduce.transfer.FileRangeStreamer;
import io.raftkv.proto.mapreduce.DataChunk;
import io.raftkv.proto.mapreduce.FetchPartitionRequest;
import io.raftkv.proto.mapreduce.MapOutputsGrpc;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Serves the map outputs this worker holds on its own disk to the reduce workers that fetch them. */
final class MapOutputService extends MapOutputsGrpc.MapOutputsImplBase {
    private final LocalStore store;
    private final Counter bytesServed;

    MapOutputService(LocalStore store, MeterRegistry registry) {
        this.store = store;
        this.bytesServed = Counter.builder("mr.shuffle.served.bytes")
                .description("Map output bytes this worker served to reduce workers")
                .register(registry);
    }

    @Override
    public void fetchPartition(FetchPartitionRequest request, StreamObserver<DataChunk> responses) {
        if (!LocalStore.isValidJobId(request.getJobId())) {
            responses.onError(Status.INVALID_ARGUMENT.withDescription("not a job id: '" + request.getJobId() + "'")
                    .asRuntimeException());
            return;
        }
        String what = "mr-" + request.getMapTask() + "-" + request.getPartition() + " of job " + request.getJobId();
        Path file = store.existingMapOutput(request.getJobId(), request.getMapTask(), request.getPartition());
        if (file == null) {
            responses.onError(Status.NOT_FOUND.withDescription("this worker holds no " + what).asRuntimeException());
            return;
        }
        try {
            PartitionChecksum sum = PartitionChecksum.readBeside(file);
            bytesServed.increment(sum.length());
            FileRangeStreamer.start(file, 0, Long.MAX_VALUE, responses, what,
                    DataChunk.newBuilder().setTotalBytes(sum.length()).setCrc32C(sum.crc32c()).build());
        } catch (NoSuchFileException e) {
            responses.onError(Status.NOT_FOUND.withDescription("this worker holds no " + what).asRuntimeException());
        } catch (IOException e) {
            responses.onError(Status.DATA_LOSS.withDescription("cannot read " + what + ": " + e.getMessage())
                    .asRuntimeException());
        }
    }
}
