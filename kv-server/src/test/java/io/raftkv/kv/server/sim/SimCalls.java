package io.raftkv.kv.server.sim;

import com.google.protobuf.Message;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The open calls of one front-end incarnation, as gRPC hands them to a service ({@link StreamObserver}s): each
 * reply goes to its caller once; when the node crashes every open call fails as a reset connection.
 */
final class SimCalls {
    private final Set<OpenCall<?>> open = new LinkedHashSet<>();
    private boolean crashed;

    /** The server side of a new call whose answer goes to {@code respond}. */
    <T extends Message> StreamObserver<T> open(Consumer<ClientReply> respond) {
        OpenCall<T> call = new OpenCall<>(respond);
        if (crashed) {
            respond.accept(ClientReply.failed("the server is down"));
        } else {
            open.add(call);
        }
        return call;
    }

    /** Fails every open call and refuses new ones. */
    void crash() {
        crashed = true;
        List<OpenCall<?>> calls = new ArrayList<>(open);
        open.clear();
        for (OpenCall<?> call : calls) {
            call.respond.accept(ClientReply.failed("the connection was reset (the server went down)"));
        }
    }

    private final class OpenCall<T extends Message> implements StreamObserver<T> {
        private final Consumer<ClientReply> respond;
        private T reply;

        OpenCall(Consumer<ClientReply> respond) {
            this.respond = respond;
        }

        @Override
        public void onNext(T value) {
            reply = value;
        }

        @Override
        public void onError(Throwable error) {
            finish(ClientReply.failed("UNAVAILABLE: " + error.getMessage()));
        }

        @Override
        public void onCompleted() {
            finish(reply == null ? ClientReply.failed("the call completed without a reply") : ClientReply.of(reply));
        }

        private void finish(ClientReply answer) {
            if (open.remove(this)) {
                respond.accept(answer);
            }
        }
    }
}
