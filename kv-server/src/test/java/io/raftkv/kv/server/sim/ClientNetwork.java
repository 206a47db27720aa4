package io.raftkv.kv.server.sim;

import com.google.protobuf.Message;
import io.raftkv.raft.sim.Scheduler;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.random.RandomGenerator;

/**
 * The simulated network between clerks and servers. Every request and every reply is delivered after a random delay
 * unless it is lost; on the lab's unreliable network 10% of requests and 10% of replies are lost (a lost reply means
 * the server did the work but the client never hears of it, which is what makes clients retry writes that were
 * applied) and delays reach 27 ms. A request reaching a server that is down fails as a refused connection.
 */
final class ClientNetwork {
    private static final double UNRELIABLE_LOSS = 0.1;

    private final Scheduler scheduler;
    private final RandomGenerator random;
    private final Function<String, SimFrontEnd> servers;
    private boolean unreliable;
    private long requests;
    private long lost;

    /**
     * @param servers the running front end of a node id, or null while that node is down
     */
    ClientNetwork(Scheduler scheduler, RandomGenerator random, Function<String, SimFrontEnd> servers) {
        this.scheduler = scheduler;
        this.random = random;
        this.servers = servers;
    }

    void unreliable(boolean on) {
        this.unreliable = on;
    }

    /** Sends {@code request} to {@code server}; {@code onReply} runs when (and if) the answer arrives. */
    void call(String server, Message request, Consumer<ClientReply> onReply) {
        requests++;
        if (loses()) {
            return;
        }
        scheduler.after(delay(), () -> {
            SimFrontEnd target = servers.apply(server);
            if (target == null) {
                answer(onReply, ClientReply.refused(server + " is unreachable (connection refused)"));
            } else {
                target.handle(request, reply -> answer(onReply, reply));
            }
        });
    }

    /** Requests sent so far. */
    long requests() {
        return requests;
    }

    /** Requests and replies lost so far. */
    long lost() {
        return lost;
    }

    private void answer(Consumer<ClientReply> onReply, ClientReply reply) {
        if (loses()) {
            return;
        }
        scheduler.after(delay(), () -> onReply.accept(reply));
    }

    private boolean loses() {
        if (unreliable && random.nextDouble() < UNRELIABLE_LOSS) {
            lost++;
            return true;
        }
        return false;
    }

    private long delay() {
        return unreliable ? random.nextLong(27 * Scheduler.MILLIS + 1)
                : 500 + random.nextLong(4 * Scheduler.MILLIS + 501);
    }
}
