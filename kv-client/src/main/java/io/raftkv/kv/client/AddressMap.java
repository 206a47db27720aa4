package io.raftkv.kv.client;

import io.raftkv.common.cli.HostPort;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Rewrites the replica-group addresses a shard controller hands out before a client dials them. The controller stores
 * the addresses the groups were joined under, which are the ones their peers use: inside a container network those
 * are service names ({@code g100-1:7111}) that a client on the host cannot resolve, and published ports may differ
 * from the ones inside. A rule {@code FROM=TO} maps a host ({@code g100-1}), a host and port ({@code g100-1:7111}),
 * or every host ({@code *}) to another host (the port is kept) or, for a host or host:port, to another host:port. The
 * most specific rule wins: host:port, then host, then {@code *}.
 */
public final class AddressMap {
    public static final AddressMap NONE = new AddressMap(Map.of(), Map.of(), null);

    private final Map<HostPort, HostPort> byAddress;
    private final Map<String, String> byHost;
    private final Map<String, HostPort> byHostToAddress;
    private final String everyHost;

    private AddressMap(Map<HostPort, HostPort> byAddress, Map<String, Rule> byHostRules, String everyHost) {
        this.byAddress = Map.copyOf(byAddress);
        Map<String, String> hosts = new LinkedHashMap<>();
        Map<String, HostPort> hostsToAddress = new LinkedHashMap<>();
        byHostRules.forEach((host, rule) -> {
            if (rule.address() != null) {
                hostsToAddress.put(host, rule.address());
            } else {
                hosts.put(host, rule.host());
            }
        });
        this.byHost = Map.copyOf(hosts);
        this.byHostToAddress = Map.copyOf(hostsToAddress);
        this.everyHost = everyHost;
    }

    private record Rule(String host, HostPort address) {}

    /**
     * Parses comma-separated {@code FROM=TO} rules, e.g. {@code *=localhost} or
     * {@code g100-1:7111=127.0.0.1:17111,g100-2=10.0.0.5}. An empty text is no rule.
     *
     * @throws IllegalArgumentException naming the rule that is not valid
     */
    public static AddressMap parse(String text) {
        if (text == null || text.isBlank()) {
            return NONE;
        }
        Map<HostPort, HostPort> byAddress = new LinkedHashMap<>();
        Map<String, Rule> byHost = new LinkedHashMap<>();
        String everyHost = null;
        for (String part : text.split(",")) {
            String rule = part.trim();
            int equals = rule.indexOf('=');
            if (equals <= 0 || equals == rule.length() - 1) {
                throw new IllegalArgumentException("'" + rule + "' is not FROM=TO (e.g. *=localhost or "
                        + "g100-1:7111=127.0.0.1:17111)");
            }
            String from = rule.substring(0, equals).trim();
            String to = rule.substring(equals + 1).trim();
            boolean toAddress = hasPort(to);
            if (from.equals("*")) {
                if (toAddress) {
                    throw new IllegalArgumentException("'" + rule + "': every host (*) can only map to a host, "
                            + "which keeps each address's port");
                }
                everyHost = host(to, rule);
            } else if (hasPort(from)) {
                HostPort source = address(from, rule);
                byAddress.put(source, toAddress ? address(to, rule) : new HostPort(host(to, rule), source.port()));
            } else {
                byHost.put(host(from, rule), toAddress ? new Rule(null, address(to, rule))
                        : new Rule(host(to, rule), null));
            }
        }
        return new AddressMap(byAddress, byHost, everyHost);
    }

    /** Where to dial {@code address}. */
    public HostPort apply(HostPort address) {
        HostPort exact = byAddress.get(address);
        if (exact != null) {
            return exact;
        }
        HostPort hostToAddress = byHostToAddress.get(address.host());
        if (hostToAddress != null) {
            return hostToAddress;
        }
        String host = byHost.get(address.host());
        if (host != null) {
            return new HostPort(host, address.port());
        }
        return everyHost == null ? address : new HostPort(everyHost, address.port());
    }

    public List<HostPort> apply(List<HostPort> addresses) {
        List<HostPort> mapped = new ArrayList<>(addresses.size());
        for (HostPort address : addresses) {
            mapped.add(apply(address));
        }
        return mapped;
    }

    public boolean isEmpty() {
        return byAddress.isEmpty() && byHost.isEmpty() && byHostToAddress.isEmpty() && everyHost == null;
    }

    /** A host:port, as opposed to a bare host: an IPv6 host has a port only after its brackets ({@code [::1]:7001}). */
    private static boolean hasPort(String text) {
        if (text.startsWith("[")) {
            return text.contains("]:");
        }
        return text.indexOf(':') > 0 && text.indexOf(':') == text.lastIndexOf(':');
    }

    private static HostPort address(String text, String rule) {
        try {
            return HostPort.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + rule + "': " + e.getMessage());
        }
    }

    private static String host(String text, String rule) {
        String host = text.startsWith("[") && text.endsWith("]") ? text.substring(1, text.length() - 1) : text;
        if (host.isBlank() || host.contains("=") || host.contains(" ")) {
            throw new IllegalArgumentException("'" + rule + "': '" + text + "' is not a host name");
        }
        return host;
    }

    @Override
    public String toString() {
        List<String> rules = new ArrayList<>();
        byAddress.forEach((from, to) -> rules.add(from + "=" + to));
        byHostToAddress.forEach((from, to) -> rules.add(from + "=" + to));
        byHost.forEach((from, to) -> rules.add(from + "=" + to));
        if (everyHost != null) {
            rules.add("*=" + everyHost);
        }
        return String.join(",", rules);
    }
}
