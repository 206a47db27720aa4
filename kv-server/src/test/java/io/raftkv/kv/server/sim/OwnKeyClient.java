package io.raftkv.kv.server.sim;

import java.util.random.RandomGenerator;

/**
 * The client of the lab's GenericTest, as an actor in virtual time: it Puts "" to its own key, then until told to
 * stop, half of the time appends its next token ("x clerk j y") and otherwise Gets the key and checks it holds
 * exactly what its own writes built (a key no one else writes).
 */
final class OwnKeyClient implements ClientActor {
    private final KvSimCluster cluster;
    private final SimClerk clerk;
    private final String key;
    private final RandomGenerator random;
    private final ClientAppends appends = new ClientAppends();
    private final OwnKeyExpectation expectation = new OwnKeyExpectation();
    private boolean stopRequested;
    private boolean finished;
    private boolean putAcknowledged;

    OwnKeyClient(KvSimCluster cluster, SimClerk clerk, String key, RandomGenerator random) {
        this.cluster = cluster;
        this.clerk = clerk;
        this.key = key;
        this.random = random;
    }

    @Override
    public void start() {
        clerk.put(key, "").then(outcome -> {
            expectation.onPut("", outcome);
            putAcknowledged = outcome.status() == Outcome.Status.OK;
            next();
        });
    }

    @Override
    public void stop() {
        stopRequested = true;
    }

    @Override
    public boolean finished() {
        return finished;
    }

    String key() {
        return key;
    }

    int clerkNumber() {
        return clerk.number();
    }

    ClientAppends appends() {
        return appends;
    }

    /** Whether the cluster acknowledged the client's first Put (a healthy cluster always does). */
    boolean putAcknowledged() {
        return putAcknowledged;
    }

    private void next() {
        if (stopRequested) {
            finished = true;
            return;
        }
        if (random.nextInt(1000) < 500) {
            String token = AppendTokens.token(clerk.number(), appends.count());
            clerk.append(key, token).then(outcome -> {
                appends.record(outcome);
                expectation.onAppend(token, outcome);
                next();
            });
        } else {
            clerk.get(key).then(outcome -> {
                if (outcome.status() == Outcome.Status.NOT_FOUND && putAcknowledged) {
                    throw cluster.fail("get wrong value, key " + key + " (clerk " + clerk.number()
                            + "): the key does not exist after an acknowledged Put");
                }
                if (outcome.status() == Outcome.Status.OK) {
                    String problem = expectation.onGet(outcome.value());
                    if (problem != null) {
                        throw cluster.fail("get wrong value, key " + key + " (clerk " + clerk.number() + "): "
                                + problem);
                    }
                }
                next();
            });
        }
    }
}
