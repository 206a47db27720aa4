package io.raftkv.raft.sim;

/**
 * The running digest of an applied command sequence, computed the same way by the checker and the test state machine.
 */
public final class Digests {
    private Digests() {
    }

    /** The digest after applying {@code data} at {@code index} on top of {@code previous}. */
    public static long next(long previous, long index, byte[] data) {
        long h = 0xcbf29ce484222325L ^ data.length;
        for (byte b : data) {
            h = (h ^ (b & 0xff)) * 0x100000001b3L;
        }
        return mix(previous * 31 + mix(index) + h);
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
