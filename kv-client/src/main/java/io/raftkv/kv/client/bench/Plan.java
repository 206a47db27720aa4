package io.raftkv.kv.client.bench;

import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;

/** What a load client sends next: shared by all clients of a phase, called by each with its own random source. */
interface Plan {

    /** One operation on one key. */
    record Step(Workload.Op op, int key) {}

    /** The next step, or null when the plan has nothing left to send. */
    Step next(SplittableRandom random);

    /** The workload's mix on keys chosen uniformly at random; never runs out. */
    static Plan random(Workload workload, KeySpace keys) {
        return random -> new Step(workload.next(random), random.nextInt(keys.size()));
    }

    /** One put of every key, in order, each handed to exactly one client. */
    static Plan writeEveryKeyOnce(KeySpace keys) {
        AtomicInteger nextKey = new AtomicInteger();
        return random -> {
            int key = nextKey.getAndIncrement();
            return key < keys.size() ? new Step(Workload.Op.PUT, key) : null;
        };
    }
}
