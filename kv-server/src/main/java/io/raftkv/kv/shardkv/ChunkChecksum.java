package io.raftkv.kv.shardkv;

import com.google.protobuf.ByteString;
import io.raftkv.proto.service.ClientSessionEntry;
import io.raftkv.proto.shardkv.PullShardReply;
import io.raftkv.proto.shardkv.ShardEntry;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The checksum of a chunk of a shard on its way from the old owner to the new: CRC32C over every key and value
 * (each after its length, so moving bytes between them changes it), the last flag and the sessions. The old owner
 * computes it from what it read; the new owner checks it before proposing the chunk to its log.
 */
final class ChunkChecksum {
    private ChunkChecksum() {}

    static int of(List<ShardEntry> entries, boolean last, List<ClientSessionEntry> sessions) {
        CRC32C crc = new CRC32C();
        ByteBuffer length = ByteBuffer.allocate(4);
        for (ShardEntry entry : entries) {
            update(crc, length, entry.getKey());
            update(crc, length, entry.getValue());
        }
        crc.update(last ? 1 : 0);
        for (ClientSessionEntry session : sessions) {
            update(crc, length, session.toByteString());
        }
        return (int) crc.getValue();
    }

    /** Whether a CHUNK reply's entries, last flag and sessions are the ones its sender summed. */
    static boolean matches(PullShardReply reply) {
        return of(reply.getEntriesList(), reply.getLast(), reply.getSessionsList()) == reply.getChecksum();
    }

    private static void update(CRC32C crc, ByteBuffer length, ByteString bytes) {
        length.clear();
        length.putInt(bytes.size()).flip();
        crc.update(length);
        crc.update(bytes.asReadOnlyByteBuffer());
    }
}
