package io.raftkv.common.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HostPortTest {
    @Test
    void parsesHostAndPort() {
        assertEquals(new HostPort("127.0.0.1", 7001), HostPort.parse("127.0.0.1:7001"));
        assertEquals(new HostPort("::1", 80), HostPort.parse("[::1]:80"));
        assertEquals("[::1]:80", HostPort.parse("[::1]:80").target());
    }

    @Test
    void rejectsBadTextWithMessageNamingIt() {
        IllegalArgumentException noPort = assertThrows(IllegalArgumentException.class, () -> HostPort.parse("host"));
        assertTrue(noPort.getMessage().contains("'host'"), noPort.getMessage());
        assertThrows(IllegalArgumentException.class, () -> HostPort.parse("host:"));
        assertThrows(IllegalArgumentException.class, () -> HostPort.parse("host:abc"));
        IllegalArgumentException range = assertThrows(IllegalArgumentException.class, () -> HostPort.parse("h:70000"));
        assertTrue(range.getMessage().contains("70000"), range.getMessage());
    }
}
