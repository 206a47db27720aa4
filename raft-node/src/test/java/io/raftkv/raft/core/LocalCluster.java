package io.raftkv.raft.core;

import com.google.protobuf.ByteString;
import io.raftkv.proto.raft.ConfState;
import io.raftkv.proto.raft.Entry;
import io.raftkv.proto.raft.Message;
import io.raftkv.proto.raft.MessageType;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * A synchronous, in-process cluster of RawNodes for unit tests: messages are delivered in FIFO order until nothing
 * is left, each Ready is persisted to the node's MemoryStorage before its after-persist messages go out, and a filter
 * can drop messages. Deterministic and immediate, so tests can reason step by step.
 */
final class LocalCluster {
    final Map<String, RawNode> nodes = new LinkedHashMap<>();
    final Map<String, MemoryStorage> storages = new HashMap<>();
    final Map<String, List<Entry>> applied = new HashMap<>();
    final Map<String, List<ReadState>> reads = new HashMap<>();
    final List<Message> delivered = new ArrayList<>();
    private final Map<String, RaftConfig> configs = new HashMap<>();
    private final ArrayDeque<Message> inFlight = new ArrayDeque<>();
    private final Set<String> isolated = new HashSet<>();
    private Predicate<Message> drop = m -> false;
    private final SplittableRandom random = new SplittableRandom(42);

    LocalCluster(int size) {
        this(size, UnaryOperator.identity());
    }

    LocalCluster(int size, UnaryOperator<RaftConfig.Builder> tuning) {
        List<String> ids = new ArrayList<>();
        for (int i = 1; i <= size; i++) {
            ids.add("n" + i);
        }
        for (String id : ids) {
            RaftConfig config = tuning.apply(RaftConfig.builder(id, ids)).build();
            configs.put(id, config);
            MemoryStorage storage = new MemoryStorage(ConfState.newBuilder().addAllVoters(ids).build());
            storages.put(id, storage);
            nodes.put(id, new RawNode(config, storage, random));
            applied.put(id, new ArrayList<>());
            reads.put(id, new ArrayList<>());
        }
    }

    RawNode node(String id) {
        return nodes.get(id);
    }

    void setDrop(Predicate<Message> filter) {
        this.drop = filter;
    }

    void isolate(String id) {
        isolated.add(id);
    }

    void heal() {
        isolated.clear();
        drop = m -> false;
    }

    /** Simulates a crash and restart from the persisted storage (state machine replays from scratch). */
    void restart(String id) {
        inFlight.removeIf(m -> m.getTo().equals(id) || m.getFrom().equals(id));
        applied.get(id).clear();
        nodes.put(id, new RawNode(configs.get(id), storages.get(id), random));
    }

    /** Elects {@code id} by making it campaign and delivering everything. */
    void elect(String id) {
        node(id).campaign();
        settle();
        if (node(id).role() != Role.LEADER) {
            throw new AssertionError(id + " did not become leader: " + node(id).status());
        }
    }

    void tickAll(int times) {
        for (int t = 0; t < times; t++) {
            for (RawNode n : nodes.values()) {
                n.tick();
            }
            settle();
        }
    }

    long propose(String id, String data) {
        ProposeResult r = node(id).propose(ByteString.copyFromUtf8(data));
        if (!(r instanceof ProposeResult.Accepted a)) {
            throw new AssertionError("proposal refused: " + r);
        }
        settle();
        return a.index();
    }

    /** Handles Readys and delivers messages until the cluster is quiet. */
    void settle() {
        for (int rounds = 0; rounds < 100_000; rounds++) {
            boolean progress = false;
            for (Map.Entry<String, RawNode> e : nodes.entrySet()) {
                RawNode n = e.getValue();
                while (n.hasReady()) {
                    handle(e.getKey(), n, n.ready());
                    progress = true;
                }
            }
            Message m = inFlight.poll();
            if (m != null) {
                progress = true;
                if (!isolated.contains(m.getFrom()) && !isolated.contains(m.getTo()) && !drop.test(m)) {
                    delivered.add(m);
                    node(m.getTo()).step(m);
                }
            }
            if (!progress) {
                return;
            }
        }
        throw new AssertionError("cluster did not settle");
    }

    private void handle(String id, RawNode n, Ready rd) {
        inFlight.addAll(rd.messages());
        MemoryStorage s = storages.get(id);
        if (rd.snapshot() != null) {
            s.applySnapshot(rd.snapshot());
        }
        s.append(rd.entries());
        if (rd.hardState() != null) {
            s.setHardState(rd.hardState());
        }
        inFlight.addAll(rd.messagesAfterPersist());
        applied.get(id).addAll(rd.committedEntries());
        reads.get(id).addAll(rd.readStates());
        n.advance(rd);
    }

    long count(MessageType type) {
        return delivered.stream().filter(m -> m.getType() == type).count();
    }
}
