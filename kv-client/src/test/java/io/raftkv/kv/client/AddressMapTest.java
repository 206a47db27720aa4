package io.raftkv.kv.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.common.cli.HostPort;
import java.util.List;
import org.junit.jupiter.api.Test;

class AddressMapTest {
    private static HostPort at(String text) {
        return HostPort.parse(text);
    }

    @Test
    void noRuleLeavesEveryAddressAlone() {
        assertEquals(at("g100-1:7111"), AddressMap.parse("").apply(at("g100-1:7111")));
        assertEquals(at("g100-1:7111"), AddressMap.parse(null).apply(at("g100-1:7111")));
        assertTrue(AddressMap.parse(" ").isEmpty());
    }

    @Test
    void everyHostMapsToOneHostKeepingThePort() {
        AddressMap map = AddressMap.parse("*=localhost");
        assertEquals(List.of(at("localhost:7111"), at("localhost:7122")),
                map.apply(List.of(at("g100-1:7111"), at("g200-2:7122"))));
    }

    @Test
    void theMostSpecificRuleWins() {
        AddressMap map = AddressMap.parse("*=localhost, g100-1=10.0.0.5, g100-1:7111=127.0.0.1:17111,"
                + " g200-1=127.0.0.2:17211");
        assertEquals(at("127.0.0.1:17111"), map.apply(at("g100-1:7111")));
        assertEquals(at("10.0.0.5:7999"), map.apply(at("g100-1:7999")));
        assertEquals(at("127.0.0.2:17211"), map.apply(at("g200-1:7000")));
        assertEquals(at("localhost:7131"), map.apply(at("g300-1:7131")));
        assertEquals(at("[::1]:7111"), AddressMap.parse("g100-1=[::1]").apply(at("g100-1:7111")));
        assertEquals(at("[::1]:9"), AddressMap.parse("g100-1:7111=[::1]:9").apply(at("g100-1:7111")));
    }

    @Test
    void badRulesAreNamed() {
        assertEquals("'g100-1' is not FROM=TO (e.g. *=localhost or g100-1:7111=127.0.0.1:17111)",
                assertThrows(IllegalArgumentException.class, () -> AddressMap.parse("g100-1")).getMessage());
        assertEquals("'=x' is not FROM=TO (e.g. *=localhost or g100-1:7111=127.0.0.1:17111)",
                assertThrows(IllegalArgumentException.class, () -> AddressMap.parse("a=b,=x")).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AddressMap.parse("*=h:1")).getMessage()
                .contains("every host (*) can only map to a host"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AddressMap.parse("g1:99999=h"))
                .getMessage().startsWith("'g1:99999=h': 'g1:99999': port 99999"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AddressMap.parse("a=b=c")).getMessage()
                .contains("'b=c' is not a host name"));
    }
}
