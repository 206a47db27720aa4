package io.raftkv.mapreduce.coordinator;

import io.raftkv.proto.mapreduce.MapOutputLocation;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where each worker serves the map outputs it holds (HOST:PORT), learned from its task requests. Without a shared
 * directory a reduce task is told, for every map task, the worker that completed it and this address.
 */
final class WorkerAddresses {
    private final Map<String, String> byWorker = new ConcurrentHashMap<>();

    /**
     * Records a worker's shuffle address from its request.
     *
     * @param advertisedHost the host the worker named, or "" to use {@code peerHost}
     * @param port           0 when the worker serves nothing
     */
    void record(String workerId, String advertisedHost, int port, String peerHost) {
        if (port <= 0 || port > 65_535) {
            return;
        }
        String host = advertisedHost.isEmpty() ? peerHost : advertisedHost;
        if (host.isEmpty()) {
            return;
        }
        // IPv6 literals need brackets in HOST:PORT form.
        byWorker.put(workerId, (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port);
    }

    /** The address of a worker, or "" when it never told one (a fetch from it then fails and is reported). */
    String of(String workerId) {
        return workerId == null ? "" : byWorker.getOrDefault(workerId, "");
    }

    /** One location per map task, in task order, from the workers that completed them. */
    List<MapOutputLocation> locations(List<String> mapOutputWorkers) {
        List<MapOutputLocation> locations = new ArrayList<>(mapOutputWorkers.size());
        for (int task = 0; task < mapOutputWorkers.size(); task++) {
            String worker = mapOutputWorkers.get(task);
            locations.add(MapOutputLocation.newBuilder()
                    .setMapTask(task)
                    .setWorkerId(worker == null ? "" : worker)
                    .setAddress(of(worker))
                    .build());
        }
        return locations;
    }
}
