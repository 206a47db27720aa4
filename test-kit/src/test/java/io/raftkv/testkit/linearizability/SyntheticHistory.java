package io.raftkv.testkit.linearizability;

import io.raftkv.testkit.linearizability.KvModel.Input;
import io.raftkv.testkit.linearizability.KvModel.Output;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A reproducible linearizable history: clients run operations one after another with random latencies, each taking
 * effect at a random moment between its call and its return, against a sequential map. Unlike histories recorded
 * from threads, the same seed always gives the same history, so checker timings can be compared.
 */
final class SyntheticHistory {
    private SyntheticHistory() {}

    private record Planned(long client, Input input, long call, long effect, long ret) {}

    static List<Operation<Input, Output>> generate(long seed, int clients, int keys, int count) {
        Random random = new Random(seed);
        long[] clock = new long[clients];
        List<Planned> planned = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int client = random.nextInt(clients);
            String key = "k" + random.nextInt(keys);
            int choice = random.nextInt(100);
            Input input = choice < 40 ? Input.get(key)
                    : choice < 55 ? Input.put(key, "c" + client + "." + i + ";")
                    : choice < 95 ? Input.append(key, "c" + client + "." + i + ";")
                    : Input.delete(key);
            long call = clock[client] + random.nextInt(20);
            long latency = 1 + random.nextInt(100);
            long effect = call + random.nextLong(latency + 1);
            long ret = call + latency;
            clock[client] = ret;
            planned.add(new Planned(client, input, call, effect, ret));
        }
        planned.sort(Comparator.comparingLong(Planned::effect));
        Map<String, String> state = new HashMap<>();
        List<Operation<Input, Output>> history = new ArrayList<>();
        for (Planned op : planned) {
            Input in = op.input();
            Output out = switch (in.op()) {
                case GET -> state.containsKey(in.key()) ? Output.value(state.get(in.key())) : Output.notFound();
                case PUT -> {
                    state.put(in.key(), in.value());
                    yield Output.ok();
                }
                case APPEND -> {
                    state.merge(in.key(), in.value(), String::concat);
                    yield Output.ok();
                }
                case DELETE -> Output.deleted(state.remove(in.key()) != null);
            };
            history.add(Operation.completed(op.client(), in, out, op.call(), op.ret()));
        }
        return history;
    }
}
