package io.raftkv.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;

/** Free loopback ports for tests that start servers in other processes. */
public final class Ports {
    private static final Set<Integer> handedOut = new HashSet<>();

    private Ports() {}

    /** A port that was free a moment ago and that this JVM has not handed out before. */
    public static synchronized int freePort() {
        for (int attempt = 0; attempt < 100; attempt++) {
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                socket.setReuseAddress(true);
                int port = socket.getLocalPort();
                if (handedOut.add(port)) {
                    return port;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        throw new IllegalStateException("no free port found");
    }

    /** {@code count} distinct free ports. */
    public static int[] freePorts(int count) {
        int[] ports = new int[count];
        for (int i = 0; i < count; i++) {
            ports[i] = freePort();
        }
        return ports;
    }
}
