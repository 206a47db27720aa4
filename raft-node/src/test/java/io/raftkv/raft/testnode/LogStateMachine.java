package io.raftkv.raft.testnode;

import io.raftkv.raft.api.SnapshotSource;
import io.raftkv.raft.api.StateMachine;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;

/**
 * A small replicated state machine for tests and benchmarks: an append-only file of records, one per applied log
 * entry, so that restarts are real and a snapshot is simply a prefix of the file.
 *
 * <p>Commands: {@code 'v' + UTF-8 string} appends a value (reply: the value's 1-based position as 8 bytes);
 * {@code 'p' + int32 n} appends n bytes of padding derived from the entry's index (to grow the state cheaply for
 * snapshot tests); {@code 'b' + bytes} is a benchmark payload (recorded, not kept in memory); an empty command (a
 * leader's no-op) is recorded as a marker so the applied index stays exact.
 *
 * <p>Record: {@code int32 length | int32 crc32c(payload) | payload}, payload = {@code int64 index | int64 term | byte
 * kind | data}. Applying writes without fsync; {@link #sync} fsyncs. At start-up a torn tail (a record cut short or
 * failing its checksum at the end of the file) is cut off: everything before it was written, and what was not
 * synced is replayed from the Raft log.
 */
public final class LogStateMachine implements StateMachine {
    private static final int HEADER = 8;
    private static final int PAYLOAD_HEADER = 17;

    private final Path dir;
    private final Path file;
    private FileChannel channel;
    private long length;
    private volatile long applied;
    private final List<String> values = new ArrayList<>();
    private final List<Long> valueIndexes = new ArrayList<>();
    private final Object lock = new Object();
    private ByteBuffer buffer = ByteBuffer.allocate(1 << 16);
    /** (state bytes, applied index) as of the end of the last apply or restore: a consistent pair for readers. */
    private volatile long[] published = {0, 0};

    private LogStateMachine(Path dir) {
        this.dir = dir;
        this.file = dir.resolve("state.log");
    }

    /** The command that appends {@code value}. */
    public static byte[] valueCommand(String value) {
        byte[] text = value.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] command = new byte[text.length + 1];
        command[0] = 'v';
        System.arraycopy(text, 0, command, 1, text.length);
        return command;
    }

    public static LogStateMachine open(Path dir) throws IOException {
        Files.createDirectories(dir);
        LogStateMachine machine = new LogStateMachine(dir);
        machine.load();
        return machine;
    }

    private void load() throws IOException {
        Files.deleteIfExists(dir.resolve("state.restore"));
        channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        long size = channel.size();
        long position = 0;
        long lastIndex = 0;
        List<String> loaded = new ArrayList<>();
        List<Long> loadedIndexes = new ArrayList<>();
        ByteBuffer header = ByteBuffer.allocate(HEADER);
        while (position + HEADER <= size) {
            header.clear();
            readFully(header, position);
            header.flip();
            int len = header.getInt();
            int crc = header.getInt();
            if (len < PAYLOAD_HEADER || position + HEADER + len > size) {
                break; // torn tail
            }
            ByteBuffer payload = ByteBuffer.allocate(len);
            readFully(payload, position + HEADER);
            CRC32C check = new CRC32C();
            check.update(payload.array(), 0, len);
            if ((int) check.getValue() != crc) {
                break;
            }
            payload.flip();
            long index = payload.getLong();
            payload.getLong();
            byte kind = payload.get();
            if (index <= lastIndex) {
                throw new IOException(file + ": record for index " + index + " follows index " + lastIndex);
            }
            lastIndex = index;
            if (kind == 'v') {
                loaded.add(new String(payload.array(), PAYLOAD_HEADER, len - PAYLOAD_HEADER,
                        StandardCharsets.UTF_8));
                loadedIndexes.add(index);
            }
            position += HEADER + len;
        }
        if (position < size) {
            channel.truncate(position);
        }
        length = position;
        synchronized (lock) {
            values.clear();
            values.addAll(loaded);
            valueIndexes.clear();
            valueIndexes.addAll(loadedIndexes);
        }
        applied = lastIndex;
        published = new long[] {length, applied};
    }

    @Override
    public long appliedIndex() {
        return applied;
    }

    @Override
    public List<byte[]> apply(List<Command> commands) {
        List<byte[]> replies = new ArrayList<>(commands.size());
        buffer.clear();
        List<String> newValues = new ArrayList<>();
        List<Long> newIndexes = new ArrayList<>();
        int count;
        synchronized (lock) {
            count = values.size();
        }
        try {
            for (Command c : commands) {
                if (c.index() <= applied) {
                    throw new IllegalStateException("command " + c.index() + " is not after " + applied);
                }
                byte[] data = c.data();
                byte kind = data.length == 0 ? (byte) 'n' : data[0];
                switch (kind) {
                    case 'v' -> {
                        append(c.index(), c.term(), kind, data, 1, data.length - 1);
                        newValues.add(new String(data, 1, data.length - 1, StandardCharsets.UTF_8));
                        newIndexes.add(c.index());
                        replies.add(ByteBuffer.allocate(8).putLong(count + newValues.size()).array());
                    }
                    case 'p' -> {
                        int n = ByteBuffer.wrap(data, 1, 4).getInt();
                        appendPadding(c.index(), c.term(), n);
                        replies.add(new byte[0]);
                    }
                    case 'b' -> {
                        append(c.index(), c.term(), kind, data, 1, data.length - 1);
                        replies.add(new byte[0]);
                    }
                    default -> {
                        append(c.index(), c.term(), (byte) 'n', data, 0, 0);
                        replies.add(new byte[0]);
                    }
                }
                applied = c.index();
            }
            flushBuffer();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to " + file, e);
        }
        synchronized (lock) {
            values.addAll(newValues);
            valueIndexes.addAll(newIndexes);
        }
        published = new long[] {length, applied};
        return replies;
    }

    private void append(long index, long term, byte kind, byte[] data, int off, int len) throws IOException {
        int payloadLength = PAYLOAD_HEADER + len;
        ensure(HEADER + payloadLength);
        int start = buffer.position();
        buffer.putInt(payloadLength).putInt(0).putLong(index).putLong(term).put(kind).put(data, off, len);
        CRC32C crc = new CRC32C();
        crc.update(buffer.array(), start + HEADER, payloadLength);
        buffer.putInt(start + 4, (int) crc.getValue());
    }

    private void appendPadding(long index, long term, int n) throws IOException {
        flushBuffer();
        int payloadLength = PAYLOAD_HEADER + n;
        ByteBuffer head = ByteBuffer.allocate(HEADER + PAYLOAD_HEADER);
        head.putInt(payloadLength).putInt(0).putLong(index).putLong(term).put((byte) 'p');
        CRC32C crc = new CRC32C();
        crc.update(head.array(), HEADER, PAYLOAD_HEADER);
        long recordStart = length;
        long position = length + head.capacity();
        SplittableRandom random = new SplittableRandom(index);
        byte[] chunk = new byte[1 << 16];
        int left = n;
        while (left > 0) {
            int k = Math.min(left, chunk.length);
            for (int i = 0; i < k; i += 8) {
                long r = random.nextLong();
                for (int j = 0; j < 8 && i + j < k; j++) {
                    chunk[i + j] = (byte) (r >>> (8 * j));
                }
            }
            crc.update(chunk, 0, k);
            writeFully(ByteBuffer.wrap(chunk, 0, k), position);
            position += k;
            left -= k;
        }
        head.putInt(4, (int) crc.getValue());
        head.flip();
        // The header goes last: a crash before it leaves a record that fails its checksum (a torn tail).
        writeFully(head, recordStart);
        length = position;
    }

    private void ensure(int bytes) throws IOException {
        if (buffer.remaining() >= bytes) {
            return;
        }
        flushBuffer();
        if (buffer.capacity() < bytes) {
            buffer = ByteBuffer.allocate(Integer.highestOneBit(bytes) * 2);
        }
    }

    private void flushBuffer() throws IOException {
        buffer.flip();
        int n = buffer.remaining();
        writeFully(buffer, length);
        length += n;
        buffer.clear();
    }

    @Override
    public long sync() {
        try {
            channel.force(false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot fsync " + file, e);
        }
        return applied;
    }

    @Override
    public SnapshotSource captureSnapshot() {
        long size = length;
        long index = applied;
        try {
            FileChannel reader = FileChannel.open(file, StandardOpenOption.READ);
            return new PrefixSource(reader, size, index);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open " + file, e);
        }
    }

    @Override
    public void restoreSnapshot(long index, long term, InputStream data) throws IOException {
        Path temp = dir.resolve("state.restore");
        try (OutputStream out = Files.newOutputStream(temp, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            data.transferTo(out);
        }
        try (FileChannel c = FileChannel.open(temp, StandardOpenOption.WRITE)) {
            c.force(true);
        }
        channel.close();
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
        load();
        if (applied != index) {
            throw new IOException("snapshot for index " + index + " restored a state at index " + applied);
        }
    }

    /** Values applied so far from position {@code from} (0-based), at most {@code max}. */
    public List<String> values(int from, int max) {
        synchronized (lock) {
            int end = Math.min(values.size(), from + max);
            return from >= end ? List.of() : new ArrayList<>(values.subList(from, end));
        }
    }

    public List<Long> valueIndexes(int from, int max) {
        synchronized (lock) {
            int end = Math.min(valueIndexes.size(), from + max);
            return from >= end ? List.of() : new ArrayList<>(valueIndexes.subList(from, end));
        }
    }

    public int valueCount() {
        synchronized (lock) {
            return values.size();
        }
    }

    /** The state's size in bytes. */
    public long stateBytes() {
        return published[0];
    }

    /** A digest of the state, from any thread: {applied index, CRC32C of the state file up to it}. */
    public long[] digest() throws IOException {
        long[] view = published;
        CRC32C crc = new CRC32C();
        try (FileChannel reader = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer chunk = ByteBuffer.allocate(1 << 16);
            long position = 0;
            while (position < view[0]) {
                chunk.clear();
                chunk.limit((int) Math.min(chunk.capacity(), view[0] - position));
                int n = reader.read(chunk, position);
                if (n < 0) {
                    break;
                }
                crc.update(chunk.array(), 0, n);
                position += n;
            }
        }
        return new long[] {view[1], crc.getValue()};
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    private void readFully(ByteBuffer target, long position) throws IOException {
        while (target.hasRemaining()) {
            int n = channel.read(target, position);
            if (n < 0) {
                throw new IOException("unexpected end of " + file);
            }
            position += n;
        }
    }

    private void writeFully(ByteBuffer source, long position) throws IOException {
        while (source.hasRemaining()) {
            position += channel.write(source, position);
        }
    }

    /** The first {@code size} bytes of the state file, read through a channel opened at capture time. */
    private record PrefixSource(FileChannel reader, long size, long index) implements SnapshotSource {
        @Override
        public void writeTo(OutputStream out) throws IOException {
            ByteBuffer chunk = ByteBuffer.allocate(1 << 16);
            long position = 0;
            while (position < size) {
                chunk.clear();
                chunk.limit((int) Math.min(chunk.capacity(), size - position));
                int n = reader.read(chunk, position);
                if (n < 0) {
                    throw new IOException("the state file ended at " + position + " of " + size);
                }
                out.write(chunk.array(), 0, n);
                position += n;
            }
        }

        @Override
        public void close() {
            try {
                reader.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
