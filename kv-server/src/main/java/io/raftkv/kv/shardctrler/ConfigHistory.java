package io.raftkv.kv.shardctrler;

import io.raftkv.proto.shardctrler.Config;
import java.util.Arrays;
import java.util.List;

/**
 * Every configuration made so far, numbered 0.., in memory: the apply thread appends, any thread queries, without a
 * lock. The apply thread publishes an immutable view (the array and how much of it is filled) after each append;
 * a reader works on the view it read, whose slots below its size are never written again.
 */
final class ConfigHistory {
    private record View(Config[] configs, int size) {}

    private volatile View view;

    /** A history holding {@code configs}, which must be numbered 0, 1, 2... */
    ConfigHistory(List<Config> configs) {
        Config[] array = new Config[Math.max(16, configs.size() * 2)];
        for (int i = 0; i < configs.size(); i++) {
            Config config = configs.get(i);
            if (config.getNum() != i) {
                throw new IllegalArgumentException("configuration " + config.getNum() + " stands at position " + i);
            }
            array[i] = config;
        }
        this.view = new View(array, configs.size());
    }

    /** Appends the next configuration (apply thread only). */
    void append(Config config) {
        View current = view;
        if (config.getNum() != current.size()) {
            throw new IllegalArgumentException("configuration " + config.getNum() + " cannot follow "
                    + (current.size() - 1));
        }
        Config[] array = current.configs();
        if (current.size() == array.length) {
            array = Arrays.copyOf(array, array.length * 2);
        }
        array[current.size()] = config;
        view = new View(array, current.size() + 1);
    }

    /** The latest configuration. */
    Config latest() {
        View current = view;
        return current.configs()[current.size() - 1];
    }

    /** Configuration {@code num}; a negative number or one past the latest means the latest. */
    Config query(long num) {
        View current = view;
        if (num < 0 || num >= current.size()) {
            return current.configs()[current.size() - 1];
        }
        return current.configs()[(int) num];
    }

    /** How many configurations there are (the latest's number + 1). */
    int size() {
        return view.size();
    }

    /** Every configuration, in order. */
    List<Config> all() {
        View current = view;
        return List.of(Arrays.copyOf(current.configs(), current.size()));
    }
}
