package io.raftkv.testkit;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Polls a condition until it holds or a deadline passes; the failure says what was awaited. */
public final class Eventually {
    private Eventually() {}

    public static void await(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Throwable last = null;
        while (System.nanoTime() < deadline) {
            try {
                if (condition.getAsBoolean()) {
                    return;
                }
            } catch (RuntimeException e) {
                last = e;
            }
            sleep(Duration.ofMillis(50));
        }
        throw new AssertionError("timed out after " + timeout + " waiting for " + what, last);
    }

    /** Polls {@code supplier} until it returns non-null, and returns that value. */
    public static <T> T awaitValue(String what, Duration timeout, Supplier<T> supplier) {
        Object[] holder = new Object[1];
        await(what, timeout, () -> (holder[0] = supplier.get()) != null);
        @SuppressWarnings("unchecked")
        T value = (T) holder[0];
        return value;
    }

    public static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
