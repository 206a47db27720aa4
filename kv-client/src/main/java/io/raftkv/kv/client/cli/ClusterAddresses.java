package io.raftkv.kv.client.cli;

import io.raftkv.common.cli.HostPort;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import picocli.CommandLine;

/** Where a CLI finds the nodes it talks to: its flag if given, else an environment variable; a usage error if neither. */
final class ClusterAddresses {
    private ClusterAddresses() {}

    static List<HostPort> resolve(List<HostPort> fromFlag, String flag, String variable,
            Function<String, String> environment, CommandLine caller) {
        if (fromFlag != null && !fromFlag.isEmpty()) {
            return fromFlag;
        }
        String fromEnvironment = environment.apply(variable);
        if (fromEnvironment == null || fromEnvironment.isBlank()) {
            throw new CommandLine.ParameterException(caller,
                    "no " + flag.substring(2) + " given: use " + flag + " HOST:PORT,... or set " + variable);
        }
        List<HostPort> parsed = new ArrayList<>();
        for (String part : fromEnvironment.split(",")) {
            try {
                parsed.add(HostPort.parse(part));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(caller, variable + ": " + e.getMessage());
            }
        }
        return parsed;
    }
}
