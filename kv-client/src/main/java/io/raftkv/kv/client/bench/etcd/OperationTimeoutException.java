package io.raftkv.kv.client.bench.etcd;

import io.raftkv.kv.client.bench.BenchReport;
import java.time.Duration;

/** An etcd operation got no answer within the per-operation timeout. */
final class OperationTimeoutException extends RuntimeException {
    static final String KIND = "timeout";

    OperationTimeoutException(Duration timeout) {
        super("no answer within " + BenchReport.duration(timeout), null, false, false);
    }
}
