package io.raftkv.raft.storage;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.TimeUnit;
import org.rocksdb.HistogramData;
import org.rocksdb.HistogramType;
import org.rocksdb.RocksDB;
import org.rocksdb.Statistics;
import org.rocksdb.TickerType;

/**
 * A RocksDB {@link Statistics} object (set on a database's options before it opens) and its Prometheus meters, all
 * tagged {@code db=<name>}: bytes written and read, WAL bytes and syncs, flush and compaction bytes, write stalls,
 * block cache hits and misses as counters; WAL sync, flush, compaction, write and get as timers (count and total
 * time); and the WAL sync median and p99 as gauges.
 *
 * <p>The native object may be read by a scrape while its owner closes it, so reads and {@link #close} are mutually
 * exclusive (they are in-memory reads, never I/O); after close every meter reads zero.
 */
public final class RocksDbStatistics implements AutoCloseable {
    static {
        RocksDB.loadLibrary();
    }

    private record Ticker(TickerType type, String name, String description) {}

    private record Histogram(HistogramType type, String name, String description) {}

    private static final Ticker[] TICKERS = {
        new Ticker(TickerType.BYTES_WRITTEN, "rocksdb.bytes.written", "Bytes written by Put/Write calls"),
        new Ticker(TickerType.BYTES_READ, "rocksdb.bytes.read", "Bytes read by Get calls"),
        new Ticker(TickerType.NUMBER_KEYS_WRITTEN, "rocksdb.keys.written", "Keys written by Put/Write calls"),
        new Ticker(TickerType.WAL_FILE_BYTES, "rocksdb.wal.bytes", "Bytes written to the write-ahead log"),
        new Ticker(TickerType.WAL_FILE_SYNCED, "rocksdb.wal.syncs.total", "Write-ahead log syncs"),
        new Ticker(TickerType.FLUSH_WRITE_BYTES, "rocksdb.flush.bytes", "Bytes written by memtable flushes"),
        new Ticker(TickerType.COMPACT_READ_BYTES, "rocksdb.compaction.read.bytes", "Bytes read by compactions"),
        new Ticker(TickerType.COMPACT_WRITE_BYTES, "rocksdb.compaction.write.bytes", "Bytes written by compactions"),
        new Ticker(TickerType.STALL_MICROS, "rocksdb.stall.micros", "Microseconds writers were stalled"),
        new Ticker(TickerType.BLOCK_CACHE_HIT, "rocksdb.block.cache.hits", "Block cache hits"),
        new Ticker(TickerType.BLOCK_CACHE_MISS, "rocksdb.block.cache.misses", "Block cache misses"),
    };

    private static final Histogram[] HISTOGRAMS = {
        new Histogram(HistogramType.WAL_FILE_SYNC_MICROS, "rocksdb.wal.sync", "Write-ahead log fsyncs"),
        new Histogram(HistogramType.FLUSH_TIME, "rocksdb.flush", "Memtable flushes"),
        new Histogram(HistogramType.COMPACTION_TIME, "rocksdb.compaction", "Compactions"),
        new Histogram(HistogramType.DB_WRITE, "rocksdb.write", "Write calls (batches)"),
        new Histogram(HistogramType.DB_GET, "rocksdb.get", "Get calls"),
    };

    private final String name;
    private final Statistics statistics = new Statistics();
    private boolean closed;

    /** @param name the {@code db} tag of this database's meters ({@code kv}, {@code raft}) */
    public RocksDbStatistics(String name) {
        this.name = name;
    }

    /** The object to pass to {@code DBOptions.setStatistics} of the database measured. */
    public Statistics statistics() {
        return statistics;
    }

    public String name() {
        return name;
    }

    /** Registers this database's meters. */
    public void bindTo(MeterRegistry registry) {
        for (Ticker ticker : TICKERS) {
            FunctionCounter.builder(ticker.name(), this, s -> s.ticker(ticker.type()))
                    .description(ticker.description()).tag("db", name).register(registry);
        }
        for (Histogram histogram : HISTOGRAMS) {
            FunctionTimer.builder(histogram.name(), this, s -> s.histogram(histogram.type()).getCount(),
                            s -> s.histogram(histogram.type()).getSum(), TimeUnit.MICROSECONDS)
                    .description(histogram.description()).tag("db", name).register(registry);
        }
        Gauge.builder("rocksdb.wal.sync.p50.seconds", this,
                        s -> s.histogram(HistogramType.WAL_FILE_SYNC_MICROS).getMedian() / 1e6)
                .description("Median write-ahead log fsync time since start").tag("db", name).register(registry);
        Gauge.builder("rocksdb.wal.sync.p99.seconds", this,
                        s -> s.histogram(HistogramType.WAL_FILE_SYNC_MICROS).getPercentile99() / 1e6)
                .description("99th percentile write-ahead log fsync time since start").tag("db", name)
                .register(registry);
    }

    /** The current count of {@code type}, or 0 once closed. */
    public synchronized long ticker(TickerType type) {
        return closed ? 0 : statistics.getTickerCount(type);
    }

    /** The current data of {@code type}, or an empty histogram once closed. */
    public synchronized HistogramData histogram(HistogramType type) {
        return closed ? new HistogramData(0, 0, 0, 0, 0, 0, 0, 0, 0) : statistics.getHistogramData(type);
    }

    /** Frees the native object; call after the database that uses it has closed. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            statistics.close();
        }
    }
}
