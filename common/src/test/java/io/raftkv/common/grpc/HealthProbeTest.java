package io.raftkv.common.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.raftkv.common.cli.ExitCodes;
import io.raftkv.common.cli.Mains;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The probe's hand-written HTTP/2 call against the real gRPC server and health service. */
class HealthProbeTest {
    @Test
    void servingServerExitsZeroAndNotServingExitsUnavailable() {
        try (GrpcServer server = GrpcServer.builder("127.0.0.1", 0).start()) {
            String target = "127.0.0.1:" + server.port();
            assertEquals(ExitCodes.OK, Mains.execute(new HealthProbe(), target));
            server.setServing(false);
            assertEquals(ExitCodes.UNAVAILABLE, Mains.execute(new HealthProbe(), target));
            server.setServing(true);
            assertEquals(ExitCodes.OK, Mains.execute(new HealthProbe(), target));
        }
    }

    @Test
    void asksAboutANamedServiceEvenWithALongName() throws Exception {
        String shortName = "raftkv.Kv";
        String longName = "raftkv." + "VeryLong".repeat(40); // over 127 bytes: multi-byte lengths on the wire
        HealthStatusManager health = new HealthStatusManager();
        health.setStatus(shortName, ServingStatus.SERVING);
        health.setStatus(longName, ServingStatus.NOT_SERVING);
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(health.getHealthService()).build().start();
        try {
            String target = "127.0.0.1:" + server.getPort();
            assertEquals(ExitCodes.OK, Mains.execute(new HealthProbe(), "--service", shortName, target));
            assertEquals(ExitCodes.UNAVAILABLE, Mains.execute(new HealthProbe(), "--service", longName, target));
            health.setStatus(longName, ServingStatus.SERVING);
            assertEquals(ExitCodes.OK, Mains.execute(new HealthProbe(), "--service", longName, target));
        } finally {
            server.shutdownNow().awaitTermination(2, TimeUnit.SECONDS);
        }
    }

    @Test
    void unknownServiceIsUnavailable() {
        try (GrpcServer server = GrpcServer.builder("127.0.0.1", 0).start()) {
            assertEquals(ExitCodes.UNAVAILABLE,
                    Mains.execute(new HealthProbe(), "--service", "no.such.Service", "127.0.0.1:" + server.port()));
        }
    }

    @Test
    void nothingListeningIsUnavailable() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        assertEquals(ExitCodes.UNAVAILABLE,
                Mains.execute(new HealthProbe(), "--timeout-ms", "1000", "127.0.0.1:" + port));
    }

    @Test
    void aServerThatNeverAnswersTimesOut() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            long start = System.nanoTime();
            assertEquals(ExitCodes.UNAVAILABLE,
                    Mains.execute(new HealthProbe(), "--timeout-ms", "300", "127.0.0.1:" + silent.getLocalPort()));
            long millis = (System.nanoTime() - start) / 1_000_000;
            // Bounded by the timeout (with slack for a loaded machine), not hanging.
            assertTrue(millis < 30_000, "took " + millis + " ms");
        }
    }

    @Test
    void badAddressIsAUsageError() {
        assertEquals(ExitCodes.USAGE, Mains.execute(new HealthProbe(), "no-port-here"));
    }
}
