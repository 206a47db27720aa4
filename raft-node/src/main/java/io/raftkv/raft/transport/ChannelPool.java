package io.raftkv.raft.transport;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.raftkv.common.cli.HostPort;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One gRPC channel per peer address for the whole process, shared by every group that talks to that address: nine
 * groups on three processes open two connections per process, not eighteen. Reference-counted: the channel closes
 * when the last group that uses it lets go.
 */
final class ChannelPool {
    /** How often an idle connection to a peer is pinged (gRPC's floor is 10 s; servers permit it, see GrpcServer). */
    static final long PING_INTERVAL_SECONDS = 10;
    /** How long a ping may go unanswered before the connection is dropped. */
    static final long PING_TIMEOUT_SECONDS = 3;

    private final int maxInboundMessageBytes;
    private final Map<String, Shared> channels = new HashMap<>();
    private boolean closed;

    private static final class Shared {
        final ManagedChannel channel;
        int users;

        Shared(ManagedChannel channel) {
            this.channel = channel;
        }
    }

    ChannelPool(int maxInboundMessageBytes) {
        this.maxInboundMessageBytes = maxInboundMessageBytes;
    }

    /** The channel to {@code address}, opened on first use; pair every call with {@link #release}. */
    synchronized ManagedChannel acquire(HostPort address) {
        if (closed) {
            throw new IllegalStateException("the process's Raft transport is closed");
        }
        Shared shared = channels.computeIfAbsent(address.target(), target -> new Shared(
                NettyChannelBuilder.forTarget(target)
                        .usePlaintext()
                        .directExecutor() // our callbacks only hand work to other threads; skip a thread hop
                        .maxInboundMessageSize(maxInboundMessageBytes)
                        // A peer whose host vanished (a container killed, then back at another address) leaves a
                        // connection that never fails: pings find it dead, so the channel reconnects and looks the
                        // peer's name up again. An idle follower's link to a peer is exactly such a connection.
                        .keepAliveTime(PING_INTERVAL_SECONDS, TimeUnit.SECONDS)
                        .keepAliveTimeout(PING_TIMEOUT_SECONDS, TimeUnit.SECONDS)
                        .keepAliveWithoutCalls(true)
                        .build()));
        shared.users++;
        return shared.channel;
    }

    /** Lets go of a channel from {@link #acquire}; the last user's release shuts it down (without waiting). */
    void release(HostPort address) {
        ManagedChannel unused = null;
        synchronized (this) {
            Shared shared = channels.get(address.target());
            if (shared != null && --shared.users == 0) {
                channels.remove(address.target());
                unused = shared.channel;
            }
        }
        if (unused != null) {
            unused.shutdownNow();
        }
    }

    /** Number of open channels (for tests). */
    synchronized int size() {
        return channels.size();
    }

    /** Shuts every channel down and waits a little for them to go. */
    void close() {
        List<ManagedChannel> open;
        synchronized (this) {
            closed = true;
            open = new ArrayList<>();
            for (Shared shared : channels.values()) {
                open.add(shared.channel);
            }
            channels.clear();
        }
        for (ManagedChannel channel : open) {
            channel.shutdownNow();
        }
        for (ManagedChannel channel : open) {
            try {
                channel.awaitTermination(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
