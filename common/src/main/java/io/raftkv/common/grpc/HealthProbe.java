package io.raftkv.common.grpc;

import io.raftkv.common.cli.DurationConverter;
import io.raftkv.common.cli.ExitCodes;
import io.raftkv.common.cli.HostPort;
import io.raftkv.common.cli.Mains;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Asks a raftkv process's gRPC health service ({@code grpc.health.v1.Health/Check}) whether it is serving, for
 * container health checks: exit code 0 when it answers SERVING, 3 otherwise.
 *
 * <p>It speaks just enough plaintext HTTP/2 for that one unary call instead of starting a gRPC channel: a health
 * check runs every few seconds in every container, and a JVM that only loads java.base costs about a tenth of the CPU
 * time of one that initialises gRPC and Netty. {@code HealthProbeTest} checks it against the real gRPC server.
 */
@Command(name = "grpc-health", mixinStandardHelpOptions = true,
        description = "Checks a gRPC server's health service (grpc.health.v1): exit 0 when it answers SERVING, "
                + "3 when it answers anything else, cannot be reached or does not answer in time.")
public final class HealthProbe implements Callable<Integer> {
    private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final int DATA = 0x0;
    private static final int HEADERS = 0x1;
    private static final int RST_STREAM = 0x3;
    private static final int SETTINGS = 0x4;
    private static final int PING = 0x6;
    private static final int GOAWAY = 0x7;
    private static final int END_STREAM = 0x1;
    private static final int END_HEADERS = 0x4;
    private static final int ACK = 0x1;
    private static final int PADDED = 0x8;
    private static final int STREAM = 1;
    private static final String[] STATUS_NAMES = {"UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"};

    @Parameters(index = "0", paramLabel = "HOST:PORT", converter = HostPort.Converter.class,
            description = "The server to ask.")
    HostPort target;

    @Option(names = "--service", defaultValue = "", paramLabel = "NAME",
            description = "The service to ask about (default: the whole server).")
    String service;

    @Option(names = "--timeout-ms", defaultValue = "5000", paramLabel = "MS",
            description = "How long to wait for the answer (default: ${DEFAULT-VALUE}).")
    int timeoutMs;

    public static void main(String[] args) {
        Mains.run(new HealthProbe(), args);
    }

    @Override
    public Integer call() {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(target.host(), target.port()), timeoutMs);
            socket.setSoTimeout(timeoutMs);
            OutputStream out = socket.getOutputStream();
            out.write(PREFACE);
            writeFrame(out, SETTINGS, 0, 0, new byte[0]);
            writeFrame(out, HEADERS, END_HEADERS, STREAM, requestHeaders());
            writeFrame(out, DATA, END_STREAM, STREAM, grpcMessage(requestMessage()));
            out.flush();
            int status = readStatus(new DataInputStream(socket.getInputStream()), out, deadline);
            String name = status >= 0 && status < STATUS_NAMES.length ? STATUS_NAMES[status] : "status " + status;
            System.out.println(target + " " + name);
            return status == 1 ? ExitCodes.OK : ExitCodes.UNAVAILABLE;
        } catch (SocketTimeoutException e) {
            return unavailable("did not answer within " + DurationConverter.text(Duration.ofMillis(timeoutMs)));
        } catch (BadAnswer e) {
            return unavailable(e.getMessage());
        } catch (IOException e) {
            return unavailable("did not answer: " + e.getMessage());
        }
    }

    private int unavailable(String why) {
        System.err.println("error: " + target + " " + why);
        return ExitCodes.UNAVAILABLE;
    }

    /** Reads frames until the answer's message (its status) or the end of the stream without one. */
    private int readStatus(DataInputStream in, OutputStream out, long deadline) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (System.nanoTime() < deadline) {
            int length = (in.readUnsignedShort() << 8) | in.readUnsignedByte();
            int type = in.readUnsignedByte();
            int flags = in.readUnsignedByte();
            int stream = in.readInt() & 0x7fff_ffff;
            byte[] payload = new byte[length];
            in.readFully(payload);
            switch (type) {
                case SETTINGS -> {
                    if ((flags & ACK) == 0) {
                        writeFrame(out, SETTINGS, ACK, 0, new byte[0]);
                        out.flush();
                    }
                }
                case PING -> {
                    if ((flags & ACK) == 0) {
                        writeFrame(out, PING, ACK, 0, payload);
                        out.flush();
                    }
                }
                case GOAWAY -> throw new BadAnswer("closed the connection (GOAWAY)");
                case RST_STREAM -> throw new BadAnswer("reset the request");
                case DATA -> {
                    if (stream == STREAM) {
                        int padding = (flags & PADDED) != 0 ? payload[0] & 0xff : 0;
                        int start = (flags & PADDED) != 0 ? 1 : 0;
                        body.write(payload, start, payload.length - start - padding);
                        Integer status = parseResponse(body.toByteArray());
                        if (status != null) {
                            return status;
                        }
                    }
                }
                default -> {
                    // HEADERS (response headers or trailers), WINDOW_UPDATE and the like carry nothing needed here,
                    // except that trailers ending the stream before any message mean the call failed.
                    if (type == HEADERS && stream == STREAM && (flags & END_STREAM) != 0) {
                        throw new BadAnswer("answered with an error status"
                                + (service.isEmpty() ? "" : " (is service '" + service + "' known?)"));
                    }
                }
            }
        }
        throw new SocketTimeoutException();
    }

    /** The HealthCheckResponse status once the whole gRPC message has arrived, else null. */
    private static Integer parseResponse(byte[] body) throws IOException {
        if (body.length < 5) {
            return null;
        }
        if (body[0] != 0) {
            throw new BadAnswer("sent a compressed answer");
        }
        int length = ((body[1] & 0xff) << 24) | ((body[2] & 0xff) << 16) | ((body[3] & 0xff) << 8) | (body[4] & 0xff);
        if (body.length < 5 + length) {
            return null;
        }
        // HealthCheckResponse has one field: 1 = status (an enum, varint); absent means UNKNOWN (0).
        int status = 0;
        int i = 5;
        while (i < 5 + length) {
            int tag = body[i++] & 0xff;
            if (tag != 0x08) {
                throw new BadAnswer("sent an unexpected field in its health answer");
            }
            int value = 0;
            int shift = 0;
            int b;
            do {
                if (i >= 5 + length) {
                    throw new BadAnswer("sent a truncated health answer");
                }
                b = body[i++] & 0xff;
                value |= (b & 0x7f) << shift;
                shift += 7;
            } while ((b & 0x80) != 0);
            status = value;
        }
        return status;
    }

    /** HPACK-encoded request headers: indexed and literal fields only, no Huffman coding, no dynamic table. */
    private byte[] requestHeaders() {
        ByteArrayOutputStream headers = new ByteArrayOutputStream();
        headers.write(0x83); // :method: POST (static table 3)
        headers.write(0x86); // :scheme: http (static table 6)
        literal(headers, 4, "/grpc.health.v1.Health/Check"); // :path (static table 4)
        literal(headers, 1, target.target()); // :authority (static table 1)
        literal(headers, 31, "application/grpc"); // content-type (static table 31)
        headers.write(0x00); // te: trailers, a literal with a new name
        string(headers, "te");
        string(headers, "trailers");
        return headers.toByteArray();
    }

    /** A literal header field without indexing, its name taken from the static table. */
    private static void literal(ByteArrayOutputStream out, int nameIndex, String value) {
        integer(out, 0x00, 4, nameIndex);
        string(out, value);
    }

    private static void string(ByteArrayOutputStream out, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        integer(out, 0x00, 7, bytes.length);
        out.writeBytes(bytes);
    }

    /** HPACK's prefixed integer (RFC 7541, 5.1). */
    private static void integer(ByteArrayOutputStream out, int firstBits, int prefixBits, int value) {
        int max = (1 << prefixBits) - 1;
        if (value < max) {
            out.write(firstBits | value);
            return;
        }
        out.write(firstBits | max);
        value -= max;
        while (value >= 0x80) {
            out.write((value & 0x7f) | 0x80);
            value >>>= 7;
        }
        out.write(value);
    }

    /** HealthCheckRequest: field 1 = service name, omitted when empty. */
    private byte[] requestMessage() {
        byte[] name = service.getBytes(StandardCharsets.UTF_8);
        if (name.length == 0) {
            return name;
        }
        ByteArrayOutputStream message = new ByteArrayOutputStream();
        message.write(0x0a);
        for (int length = name.length; ; length >>>= 7) { // protobuf varint
            if (length < 0x80) {
                message.write(length);
                break;
            }
            message.write((length & 0x7f) | 0x80);
        }
        message.writeBytes(name);
        return message.toByteArray();
    }

    private static byte[] grpcMessage(byte[] message) {
        byte[] framed = new byte[5 + message.length];
        framed[1] = (byte) (message.length >>> 24);
        framed[2] = (byte) (message.length >>> 16);
        framed[3] = (byte) (message.length >>> 8);
        framed[4] = (byte) message.length;
        System.arraycopy(message, 0, framed, 5, message.length);
        return framed;
    }

    private static void writeFrame(OutputStream out, int type, int flags, int stream, byte[] payload)
            throws IOException {
        int length = payload.length;
        out.write(new byte[] {(byte) (length >>> 16), (byte) (length >>> 8), (byte) length, (byte) type,
                (byte) flags, (byte) (stream >>> 24), (byte) (stream >>> 16), (byte) (stream >>> 8), (byte) stream});
        out.write(payload);
    }

    /** The server answered, but not with a health status. */
    private static final class BadAnswer extends IOException {
        BadAnswer(String message) {
            super(message);
        }
    }
}
