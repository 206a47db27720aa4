package io.raftkv.kv.client.bench;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** An in-memory target whose every call does what the test scripts, and which counts what it was sent. */
final class ScriptedTarget implements BenchTarget {

    /** What one call does: return whether a get found its key, or throw to fail the call. */
    interface Behavior {
        boolean call(Workload.Op op, String key);
    }

    final Map<String, AtomicInteger> putsByKey = new ConcurrentHashMap<>();
    final AtomicInteger calls = new AtomicInteger();
    final AtomicBoolean allOnVirtualThreads = new AtomicBoolean(true);
    final AtomicBoolean closed = new AtomicBoolean();
    private final Behavior behavior;

    ScriptedTarget(Behavior behavior) {
        this.behavior = behavior;
    }

    /** A target that answers every call at once, and finds every key. */
    static ScriptedTarget succeeding() {
        return new ScriptedTarget((op, key) -> true);
    }

    @Override
    public String system() {
        return "scripted";
    }

    @Override
    public String endpoints() {
        return "memory";
    }

    @Override
    public void put(byte[] key, byte[] value) {
        String text = new String(key, StandardCharsets.UTF_8);
        note();
        behavior.call(Workload.Op.PUT, text);
        putsByKey.computeIfAbsent(text, k -> new AtomicInteger()).incrementAndGet();
    }

    @Override
    public boolean get(byte[] key) {
        note();
        return behavior.call(Workload.Op.GET, new String(key, StandardCharsets.UTF_8));
    }

    private void note() {
        calls.incrementAndGet();
        if (!Thread.currentThread().isVirtual()) {
            allOnVirtualThreads.set(false);
        }
    }

    @Override
    public String errorKind(Throwable failure) {
        return failure.getMessage();
    }

    @Override
    public void close() {
        closed.set(true);
    }
}
