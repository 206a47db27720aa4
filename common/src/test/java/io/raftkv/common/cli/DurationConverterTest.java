package io.raftkv.common.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationConverterTest {

    @Test
    void readsCommonForms() {
        assertEquals(Duration.ofSeconds(10), DurationConverter.parse("10s"));
        assertEquals(Duration.ofSeconds(10), DurationConverter.parse("10"));
        assertEquals(Duration.ofMillis(500), DurationConverter.parse("500ms"));
        assertEquals(Duration.ofMillis(1_500), DurationConverter.parse("1.5s"));
        assertEquals(Duration.ofMinutes(2), DurationConverter.parse("2m"));
        assertEquals(Duration.ofHours(1), DurationConverter.parse("1h"));
        assertEquals(Duration.ofSeconds(30), DurationConverter.parse("PT30S"));
    }

    @Test
    void rejectsNonsenseWithAMessage() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DurationConverter.parse("soon"));
        assertEquals("'soon' is not a duration (examples: 10s, 500ms, 2m)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DurationConverter.parse("-5s"));
    }

    @Test
    void writesDurationsTheWayItReadsThem() {
        for (Duration duration : new Duration[] {Duration.ofSeconds(10), Duration.ofMillis(1_500), Duration.ofMillis(800),
                Duration.ofMinutes(2)}) {
            assertEquals(duration, DurationConverter.parse(DurationConverter.text(duration)));
        }
        assertEquals("10s", DurationConverter.text(Duration.ofSeconds(10)));
        assertEquals("1500ms", DurationConverter.text(Duration.ofMillis(1_500)));
    }
}
