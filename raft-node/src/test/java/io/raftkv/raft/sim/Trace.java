package io.raftkv.raft.sim;

import com.google.protobuf.TextFormat;
import io.raftkv.proto.raft.Message;

/** The last events of a run, kept cheaply (references only) and formatted only when a failure is reported. */
public final class Trace {
    private static final TextFormat.Printer ONE_LINE = TextFormat.printer().emittingSingleLine(true);
    private final long[] times;
    private final String[] nodes;
    private final String[] kinds;
    private final Object[] details;
    private int next;
    private long count;

    public Trace(int capacity) {
        times = new long[capacity];
        nodes = new String[capacity];
        kinds = new String[capacity];
        details = new Object[capacity];
    }

    public void record(long time, String node, String kind, Object detail) {
        times[next] = time;
        nodes[next] = node;
        kinds[next] = kind;
        details[next] = detail;
        next = (next + 1) % times.length;
        count++;
    }

    /** The recorded events, oldest first, one per line. */
    public String format() {
        StringBuilder sb = new StringBuilder();
        int n = (int) Math.min(count, times.length);
        int start = count > times.length ? next : 0;
        for (int k = 0; k < n; k++) {
            int i = (start + k) % times.length;
            sb.append(String.format("%12.6fs %-4s %-10s ", times[i] / 1e6, nodes[i], kinds[i]));
            Object d = details[i];
            if (d instanceof Message m) {
                sb.append(ONE_LINE.printToString(m.toBuilder().clearEntries().build()));
                if (m.getEntriesCount() > 0) {
                    sb.append(" entries=").append(m.getEntriesCount()).append('[')
                            .append(m.getEntries(0).getIndex()).append("..")
                            .append(m.getEntries(m.getEntriesCount() - 1).getIndex()).append(']');
                }
            } else if (d != null) {
                sb.append(d);
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
