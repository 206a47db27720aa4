package io.raftkv.kv.server.sim;

import java.util.random.RandomGenerator;

/**
 * The client of the lab's GenericTestLinearizability, as an actor in virtual time: until told to stop, on a random
 * one of {@code keys} keys it appends its next token (half of the operations), puts it (a tenth of the rest), or
 * reads. Correctness is judged afterwards, on the history.
 */
final class RandomOpsClient implements ClientActor {
    private final SimClerk clerk;
    private final int keys;
    private final RandomGenerator random;
    private int j;
    private boolean stopRequested;
    private boolean finished;

    RandomOpsClient(SimClerk clerk, int keys, RandomGenerator random) {
        this.clerk = clerk;
        this.keys = keys;
        this.random = random;
    }

    @Override
    public void start() {
        next();
    }

    @Override
    public void stop() {
        stopRequested = true;
    }

    @Override
    public boolean finished() {
        return finished;
    }

    private void next() {
        if (stopRequested) {
            finished = true;
            return;
        }
        String key = Integer.toString(random.nextInt(keys));
        String token = AppendTokens.token(clerk.number(), j);
        ClerkCall call;
        if (random.nextInt(1000) < 500) {
            call = clerk.append(key, token);
            j++;
        } else if (random.nextInt(1000) < 100) {
            call = clerk.put(key, token);
            j++;
        } else {
            call = clerk.get(key);
        }
        call.then(outcome -> next());
    }
}
