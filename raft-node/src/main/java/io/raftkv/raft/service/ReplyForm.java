package io.raftkv.raft.service;

import io.raftkv.proto.service.ErrorCode;
import io.raftkv.proto.service.LeaderHint;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The fields every reply of a Raft-replicated service has (code, message, leader hint, the answering node's id), as
 * the generated builder of one reply message sets and reads them. Protobuf builders share no interface for these, so
 * each service names its own once, for example:
 * {@code new ReplyForm<>(WriteReply::newBuilder, WriteReply.Builder::setCode, WriteReply.Builder::setMessage,
 * WriteReply.Builder::setLeader, WriteReply.Builder::setNodeId, WriteReply.Builder::getCode,
 * WriteReply.Builder::build)}.
 *
 * @param <B> the reply's builder
 * @param <R> the reply
 */
public record ReplyForm<B, R>(
        Supplier<B> newBuilder,
        BiConsumer<B, ErrorCode> code,
        BiConsumer<B, String> message,
        BiConsumer<B, LeaderHint> leader,
        BiConsumer<B, String> nodeId,
        Function<B, ErrorCode> codeOf,
        Function<B, R> build) {
}
