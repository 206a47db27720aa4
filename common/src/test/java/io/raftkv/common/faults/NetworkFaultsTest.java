package io.raftkv.common.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NetworkFaultsTest {
    @TempDir
    Path dir;

    @Test
    void aSpecReadsEverySetting() {
        NetworkFaults.Spec spec = NetworkFaults.Spec.parse(" delay=75ms jitter=50ms loss=20% duplicate=5%"
                + " reorder=25% one-way\n");
        assertEquals(new NetworkFaults.Spec(75_000_000, 50_000_000, 0.20, 0.05, 0.25, true), spec);
        assertEquals("delay=75ms jitter=50ms loss=20% duplicate=5% reorder=25% one-way", spec.toString());
        assertTrue(NetworkFaults.Spec.parse("  \n").clean());
    }

    @Test
    void aBadSettingIsNamed() {
        assertEquals("unknown network fault 'latency' (delay, jitter, loss, duplicate, reorder, one-way)",
                assertThrows(IllegalArgumentException.class, () -> NetworkFaults.Spec.parse("latency=5ms"))
                        .getMessage());
        assertEquals("network fault delay=75 needs milliseconds, as delay=50ms",
                assertThrows(IllegalArgumentException.class, () -> NetworkFaults.Spec.parse("delay=75"))
                        .getMessage());
        assertEquals("network fault loss=120% is not a percentage from 0% to 100%",
                assertThrows(IllegalArgumentException.class, () -> NetworkFaults.Spec.parse("loss=120%"))
                        .getMessage());
        assertEquals("network fault jitter (60ms) is larger than the delay (50ms)",
                assertThrows(IllegalArgumentException.class,
                        () -> NetworkFaults.Spec.parse("delay=50ms jitter=60ms")).getMessage());
    }

    @Test
    void messagesAreLostDuplicatedDelayedAndReorderedInTheirShares() {
        NetworkFaults.Spec spec = NetworkFaults.Spec.parse("delay=75ms jitter=50ms loss=20% duplicate=10%"
                + " reorder=25%");
        int n = 20_000;
        int lost = 0;
        int duplicated = 0;
        int copies = 0;
        int immediate = 0;
        for (int i = 0; i < n; i++) {
            long[] delays = NetworkFaults.fate(spec);
            lost += delays.length == 0 ? 1 : 0;
            duplicated += delays.length == 2 ? 1 : 0;
            for (long delay : delays) {
                copies++;
                if (delay == 0) {
                    immediate++;
                } else {
                    assertTrue(delay >= 25_000_000 && delay <= 125_000_000, "delay " + delay);
                }
            }
        }
        assertShare(0.20, lost, n, "lost");
        assertShare(0.10 * 0.80, duplicated, n, "duplicated");
        assertShare(0.25, immediate, copies, "sent at once, ahead of the delayed");
        for (int i = 0; i < 1_000; i++) {
            assertEquals(0, NetworkFaults.fate(NetworkFaults.Spec.parse("one-way")).length);
            assertEquals(1, NetworkFaults.fate(NetworkFaults.Spec.CLEAN).length);
        }
    }

    private static void assertShare(double expected, int count, int of, String what) {
        double share = (double) count / of;
        assertTrue(Math.abs(share - expected) < 0.02, what + ": " + share + " of messages, not about " + expected);
    }

    @Test
    void theFileIsReadAgainWhenItChangesAndABadOneKeepsTheFaultsInForce() throws Exception {
        Path file = dir.resolve("faults");
        NetworkFaults faults = new NetworkFaults(file);
        assertTrue(faults.current().clean(), "no file: a clean network");
        Files.writeString(file, "loss=50%");
        await("the loss is read", () -> faults.current().loss() == 0.5);
        Files.writeString(file, "loss=50% bogus");
        Thread.sleep(300);
        assertEquals(0.5, faults.current().loss());
        Files.writeString(file, "one-way");
        await("one-way is read", () -> faults.current().oneWay());
        Files.delete(file);
        await("deleting the file heals the network", () -> faults.current().clean());
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, what + ": not within 5 s");
            Thread.sleep(20);
        }
    }
}
