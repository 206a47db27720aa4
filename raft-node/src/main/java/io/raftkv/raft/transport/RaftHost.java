package io.raftkv.raft.transport;

import io.grpc.BindableService;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The Raft transport of one process, shared by every Raft group the process runs a replica of: one
 * {@link #service()} on the process's gRPC port that routes each batch by the group it names, and one channel per
 * peer address whatever the number of groups that talk to it. Each group's node gets its own {@link RaftTransport}
 * from here (its queues, streams and metrics are the group's own).
 *
 * <p>Lifecycle: create, register {@link #service()} on the process's gRPC server once, run groups, close last.
 */
public final class RaftHost implements AutoCloseable {
    /** Group ids name directories and metric tags: letters, digits, '.', '_' and '-', not starting with a symbol. */
    private static final Pattern GROUP_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private final TransportOptions options;
    private final TransportService service;
    private final ChannelPool channels;

    /**
     * @param options the channel limits (largest inbound message); each group's transport takes its own queue limits
     * @param registry the process's registry, for the counters that belong to no group (batches for unknown groups)
     */
    public RaftHost(TransportOptions options, MeterRegistry registry) {
        this.options = options;
        this.service = new TransportService(registry);
        this.channels = new ChannelPool(options.maxInboundMessageBytes());
    }

    /**
     * Checks a group id.
     *
     * @throws IllegalArgumentException saying what a group id may look like
     */
    public static String checkGroupId(String group) {
        if (group == null || !GROUP_ID.matcher(group).matches()) {
            throw new IllegalArgumentException("'" + group + "' is not a valid Raft group id: 1 to 64 letters,"
                    + " digits, '.', '_' or '-', starting with a letter or digit");
        }
        return group;
    }

    /** The one gRPC service every group's peers send to; register it on the process's server. */
    public BindableService service() {
        return service;
    }

    /** The groups whose nodes are running here and taking messages, sorted. */
    public Set<String> runningGroups() {
        return service.groups();
    }

    /** Batches and snapshot transfers refused so far because they named a group that does not run here. */
    public long unknownGroupRefusals() {
        return service.unknownGroupRefusals();
    }

    /** Open channels to peer addresses (shared by all groups). */
    public int openChannels() {
        return channels.size();
    }

    TransportOptions options() {
        return options;
    }

    TransportService transportService() {
        return service;
    }

    ChannelPool channels() {
        return channels;
    }

    /** Ends the streams peers opened and closes every channel; close each group's transport first. */
    @Override
    public void close() {
        service.close();
        channels.close();
    }
}
