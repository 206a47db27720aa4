package io.raftkv.mapreduce.coordinator;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * Makes the IP address a call comes from available to the service method ({@link #current()}): a worker that does not
 * name the host it serves map outputs on is reached at the address it called from.
 */
final class PeerAddress implements ServerInterceptor {
    private static final Context.Key<String> HOST = Context.key("raftkv-peer-host");

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        String host = remote instanceof InetSocketAddress inet && inet.getAddress() != null
                ? inet.getAddress().getHostAddress()
                : "";
        return Contexts.interceptCall(Context.current().withValue(HOST, host), call, headers, next);
    }

    /** The calling peer's IP address, or "" when unknown (in-process calls, or no interceptor). */
    static String current() {
        String host = HOST.get();
        return host == null ? "" : host;
    }
}
