package io.raftkv.kv.server.sim;

import io.raftkv.raft.sim.Scheduler;

/**
 * How much client work a generic scenario does: its iterations, and how long the clients work in each (virtual
 * time). A cap on client-seconds per iteration shortens the phase for many clients on a reliable network, which keeps
 * the default build's real I/O (every node runs RocksDB, and compacts often) bounded; on the unreliable network
 * clients complete an order of magnitude fewer operations, so the cap does not apply there. The lab's workload has
 * no cap.
 *
 * @param iterations rounds of client work, each followed by the checks (and the restarts, if any)
 * @param maxPhaseMicros the longest the clients work in one iteration
 * @param clientMicrosPerIteration the total client time one iteration may use on a reliable network (0: no cap)
 */
record Workload(int iterations, long maxPhaseMicros, long clientMicrosPerIteration) {

    /** The lab's GenericTest: 3 iterations of 5 s, however many clients. */
    static final Workload LAB = new Workload(3, 5 * Scheduler.SECONDS, 0);

    /** The default build's: 3 iterations of up to 2 s, and at most 6 client-seconds each on a reliable network. */
    static final Workload DEFAULT = new Workload(3, 2 * Scheduler.SECONDS, 6 * Scheduler.SECONDS);

    /** How long {@code clients} clients work in one iteration. */
    long phaseMicros(int clients, boolean unreliable) {
        if (clientMicrosPerIteration == 0 || unreliable) {
            return maxPhaseMicros;
        }
        return Math.min(maxPhaseMicros, clientMicrosPerIteration / Math.max(1, clients));
    }
}
