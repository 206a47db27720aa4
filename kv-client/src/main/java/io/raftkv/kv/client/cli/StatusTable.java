package io.raftkv.kv.client.cli;

import io.raftkv.kv.client.NodeReport;
import io.raftkv.proto.kv.Role;
import io.raftkv.proto.kv.StatusReply;
import java.util.ArrayList;
import java.util.List;

/** The table {@code kv status} prints: one row per configured node, reachable or not. */
final class StatusTable {
    private static final String[] HEADER = {
        "ID", "ADDRESS", "ROLE", "TERM", "LEADER", "COMMIT", "APPLIED", "LAST CONTACT"
    };

    private final List<NodeReport> reports;

    StatusTable(List<NodeReport> reports) {
        this.reports = reports;
    }

    boolean anyReachable() {
        return reports.stream().anyMatch(NodeReport::reachable);
    }

    String render() {
        List<String[]> rows = new ArrayList<>();
        rows.add(HEADER);
        for (NodeReport report : reports) {
            rows.add(report.reachable() ? row(report) : unreachable(report));
        }
        int[] widths = new int[HEADER.length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length - 1; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        StringBuilder text = new StringBuilder();
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                line.append(i < row.length - 1 ? String.format("%-" + widths[i] + "s  ", row[i]) : row[i]);
            }
            text.append(line.toString().stripTrailing()).append('\n');
        }
        return text.toString();
    }

    private static String[] row(NodeReport report) {
        StatusReply status = report.status();
        String address = report.address().toString();
        if (!status.getAddress().isEmpty() && !status.getAddress().equals(address)) {
            address += " (" + status.getAddress() + ")";
        }
        return new String[] {
            status.getNodeId(),
            address,
            role(status.getRole()),
            Long.toString(status.getTerm()),
            status.getLeaderId().isEmpty() ? "-" : status.getLeaderId(),
            Long.toString(status.getCommitIndex()),
            Long.toString(status.getAppliedIndex()),
            lastContact(status)
        };
    }

    private static String[] unreachable(NodeReport report) {
        return new String[] {
            "?", report.address().toString(), "UNREACHABLE", "-", "-", "-", "-", report.error()
        };
    }

    private static String role(Role role) {
        return role == Role.UNRECOGNIZED || role == Role.ROLE_UNSPECIFIED ? "?" : role.name();
    }

    private static String lastContact(StatusReply status) {
        if (status.getRole() == Role.LEADER) {
            return "-";
        }
        long millis = status.getLastContactMillisAgo();
        if (millis < 0) {
            return "never";
        }
        return millis < 10_000 ? millis + " ms ago" : millis / 1000 + " s ago";
    }
}
