package io.raftkv.raft.core;

import com.google.protobuf.ByteString;

/**
 * A ReadIndex request that became safe: once this node has applied everything up to {@code index}, a read of its
 * state machine reflects every write committed before the request was made. {@code context} is the caller's request
 * identifier, as given to {@link RawNode#readIndex(ByteString)}.
 */
public record ReadState(long index, ByteString context) {}
