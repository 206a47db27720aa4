package io.raftkv.kv.server.sim;

/**
 * A client that appends its tokens "x clerk 0 y" ... "x clerk (count-1) y" to one key, one after another (the
 * clients of the lab's concurrent-append test).
 */
final class AppendingClient {
    private final SimClerk clerk;
    private final String key;
    private final int count;
    private final ClientAppends appends = new ClientAppends();

    AppendingClient(SimClerk clerk, String key, int count) {
        this.clerk = clerk;
        this.key = key;
        this.count = count;
    }

    void start() {
        next();
    }

    boolean finished() {
        return appends.count() == count;
    }

    int clerkNumber() {
        return clerk.number();
    }

    ClientAppends appends() {
        return appends;
    }

    private void next() {
        if (finished()) {
            return;
        }
        clerk.append(key, AppendTokens.token(clerk.number(), appends.count())).then(outcome -> {
            appends.record(outcome);
            next();
        });
    }
}
