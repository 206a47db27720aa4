package io.raftkv.raft.storage;

import com.google.protobuf.ByteString;
import io.raftkv.proto.raft.ConfState;
import io.raftkv.proto.raft.Entry;
import io.raftkv.proto.raft.HardState;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A process that writes to a {@link RocksLogStorage} as fast as it can, the way a node does (synced batches that
 * append, sometimes overwrite a suffix in a new term, sometimes compact), until it is killed. Before each write it
 * prints what the log will look like afterwards ({@code BEGIN k last lastTerm commit}); once the synced write returns
 * it prints {@code SYNCED k}. A test kills it with SIGKILL and checks that the log it reopens is the state after the
 * last synced write, or after the one that was in flight.
 */
public final class LogWriterMain {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        long seed = Long.parseLong(args[1]);
        ConfState voters = ConfState.newBuilder().addVoters("a").build();
        SplittableRandom random = new SplittableRandom(seed);
        try (RocksLogStorage log = RocksLogStorage.open(dir, voters)) {
            long last = log.lastIndex();
            long term = Math.max(1, log.initialState().hardState().getTerm());
            long commit = log.initialState().hardState().getCommit();
            for (long k = 1; ; k++) {
                int action = random.nextInt(100);
                if (action < 5 && last - 2000 > log.firstIndex()) {
                    log.compact(Math.min(commit, last - 2000), voters);
                }
                long start = last + 1;
                long entryTerm = term;
                if (action >= 95 && last - commit > 5) {
                    entryTerm = term + 1; // a new leader overwrites an uncommitted suffix
                    start = last - random.nextInt((int) Math.min(50, last - commit - 1)) ;
                }
                int n = 1 + random.nextInt(300);
                List<Entry> entries = new ArrayList<>(n);
                for (long i = start; i < start + n; i++) {
                    entries.add(entry(i, entryTerm));
                }
                long newLast = start + n - 1;
                long newCommit = Math.max(commit, Math.min(newLast, start - 1));
                HardState hs = HardState.newBuilder().setTerm(entryTerm).setCommit(newCommit).build();
                System.out.println("BEGIN " + k + " " + newLast + " " + entryTerm + " " + newCommit);
                System.out.flush();
                log.write(LogWrite.of(entries, hs, true));
                System.out.println("SYNCED " + k);
                System.out.flush();
                last = newLast;
                term = entryTerm;
                commit = newCommit;
            }
        }
    }

    /** The entry a writer puts at (index, term): its content is a function of both, so a reader can check it. */
    static Entry entry(long index, long term) {
        SplittableRandom r = new SplittableRandom(index * 1_000_003L + term);
        byte[] data = new byte[20 + r.nextInt(400)];
        r.nextBytes(data);
        return Entry.newBuilder().setIndex(index).setTerm(term).setData(ByteString.copyFrom(data)).build();
    }
}
