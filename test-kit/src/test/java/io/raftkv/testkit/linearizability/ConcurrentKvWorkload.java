package io.raftkv.testkit.linearizability;

import io.raftkv.testkit.linearizability.KvModel.Input;
import io.raftkv.testkit.linearizability.KvModel.Output;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Drives in-memory key/value stores (a correct one and deliberately broken ones) from several threads and records
 * the history, to test the checker on histories with real concurrency.
 */
final class ConcurrentKvWorkload {

    /** A store under test. */
    interface Store {
        String get(String key);

        void put(String key, String value);

        void append(String key, String value);

        boolean delete(String key);
    }

    /** Linearizable: every operation is one atomic step of a concurrent map. */
    static final class CorrectStore implements Store {
        private final ConcurrentHashMap<String, String> map = new ConcurrentHashMap<>();

        @Override
        public String get(String key) {
            return map.get(key);
        }

        @Override
        public void put(String key, String value) {
            map.put(key, value);
        }

        @Override
        public void append(String key, String value) {
            map.merge(key, value, String::concat);
        }

        @Override
        public boolean delete(String key) {
            return map.remove(key) != null;
        }
    }

    /** Loses every seventh append while acknowledging it. */
    static final class LosingStore implements Store {
        private final CorrectStore inner = new CorrectStore();
        private final AtomicLong appends = new AtomicLong();

        @Override
        public String get(String key) {
            return inner.get(key);
        }

        @Override
        public void put(String key, String value) {
            inner.put(key, value);
        }

        @Override
        public void append(String key, String value) {
            if (appends.incrementAndGet() % 7 != 0) {
                inner.append(key, value);
            }
        }

        @Override
        public boolean delete(String key) {
            return inner.delete(key);
        }
    }

    /** Serves reads from a replica refreshed after every tenth write, as a follower read without ReadIndex would. */
    static final class StaleReadStore implements Store {
        private final CorrectStore primary = new CorrectStore();
        private final AtomicLong writes = new AtomicLong();
        private volatile Map<String, String> replica = Map.of();

        @Override
        public String get(String key) {
            return replica.get(key);
        }

        @Override
        public void put(String key, String value) {
            primary.put(key, value);
            wrote();
        }

        @Override
        public void append(String key, String value) {
            primary.append(key, value);
            wrote();
        }

        @Override
        public boolean delete(String key) {
            boolean existed = primary.delete(key);
            wrote();
            return existed;
        }

        private void wrote() {
            if (writes.incrementAndGet() % 10 == 0) {
                replica = new HashMap<>(primary.map);
            }
        }
    }

    private final Store store;
    private final HistoryRecorder<Input, Output> recorder = new HistoryRecorder<>();
    private final List<String> keys = new ArrayList<>();

    ConcurrentKvWorkload(Store store, int keyCount) {
        this.store = store;
        for (int i = 0; i < keyCount; i++) {
            keys.add("k" + i);
        }
    }

    /** Runs {@code clients} threads of {@code opsPerClient} random operations each, then waits for them. */
    ConcurrentKvWorkload run(int clients, int opsPerClient, long seed) throws InterruptedException {
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            long client = c;
            Random random = new Random(seed * 1_000 + c);
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < opsPerClient; i++) {
                    String key = keys.get(random.nextInt(keys.size()));
                    String value = "c" + client + "." + i + ";";
                    int choice = random.nextInt(100);
                    if (choice < 40) {
                        get(client, key, random);
                    } else if (choice < 55) {
                        put(client, key, value, random);
                    } else if (choice < 95) {
                        append(client, key, value, random);
                    } else {
                        delete(client, key, random);
                    }
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        return this;
    }

    /** Sequential appends then a read of every key: a lost append among the last seven is certain to show. */
    ConcurrentKvWorkload appendSevenThenReadEachKey() {
        Random random = new Random(1);
        for (String key : keys) {
            for (int i = 0; i < 7; i++) {
                append(-1, key, "end" + i + ";", random);
            }
            get(-1, key, random);
        }
        return this;
    }

    /** Sequential put/get pairs on every key: with a replica refreshed every tenth write, one read is stale. */
    ConcurrentKvWorkload putThenReadEachKeyTwice() {
        Random random = new Random(2);
        for (String key : keys) {
            for (int i = 0; i < 2; i++) {
                put(-1, key, "final" + i, random);
                get(-1, key, random);
            }
        }
        return this;
    }

    List<Operation<Input, Output>> history() {
        return recorder.history();
    }

    private void get(long client, String key, Random random) {
        long call = recorder.invoke(client, Input.get(key));
        String value = slow(random, () -> store.get(key));
        recorder.ok(call, value == null ? Output.notFound() : Output.value(value));
    }

    private void put(long client, String key, String value, Random random) {
        long call = recorder.invoke(client, Input.put(key, value));
        slow(random, () -> {
            store.put(key, value);
            return null;
        });
        recorder.ok(call, Output.ok());
    }

    private void append(long client, String key, String value, Random random) {
        long call = recorder.invoke(client, Input.append(key, value));
        slow(random, () -> {
            store.append(key, value);
            return null;
        });
        recorder.ok(call, Output.ok());
    }

    private void delete(long client, String key, Random random) {
        long call = recorder.invoke(client, Input.delete(key));
        boolean existed = slow(random, () -> store.delete(key));
        recorder.ok(call, Output.deleted(existed));
    }

    /** Widens the window between call and return (as a network would) so that operations really overlap. */
    private static <T> T slow(Random random, java.util.function.Supplier<T> action) {
        if (random.nextInt(4) == 0) {
            LockSupport.parkNanos(random.nextInt(200_000));
        }
        T result = action.get();
        if (random.nextInt(4) == 0) {
            LockSupport.parkNanos(random.nextInt(200_000));
        }
        return result;
    }
}
