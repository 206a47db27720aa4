package io.raftkv.common.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.raftkv.common.cli.StartupException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class GrpcServerTest {
    @Test
    void answersHealthChecksAndFollowsServingFlag() throws Exception {
        try (GrpcServer server = GrpcServer.builder("127.0.0.1", 0).start()) {
            ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
            try {
                HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel);
                assertEquals(ServingStatus.SERVING, health.check(HealthCheckRequest.getDefaultInstance()).getStatus());
                server.setServing(false);
                assertEquals(ServingStatus.NOT_SERVING,
                        health.check(HealthCheckRequest.getDefaultInstance()).getStatus());
            } finally {
                channel.shutdownNow().awaitTermination(2, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void portInUseIsAStartupErrorNamingPurposeAndPort() {
        try (GrpcServer first = GrpcServer.builder("127.0.0.1", 0).start()) {
            StartupException error = assertThrows(StartupException.class,
                    () -> GrpcServer.builder("127.0.0.1", first.port()).description("client port").start());
            assertTrue(error.getMessage().contains("client port 127.0.0.1:" + first.port() + " is already in use"),
                    error.getMessage());
        }
    }
}
