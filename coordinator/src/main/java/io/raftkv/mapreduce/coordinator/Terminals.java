package io.raftkv.mapreduce.coordinator;

import java.io.Console;
import java.lang.reflect.Method;

/** Tells whether the process talks to a person at a terminal. */
final class Terminals {
    private Terminals() {}

    static boolean isInteractive() {
        Console console = System.console();
        if (console == null) {
            return false;
        }
        // From Java 22 System.console() exists even when redirected; isTerminal() then tells the truth.
        try {
            Method isTerminal = Console.class.getMethod("isTerminal");
            return (Boolean) isTerminal.invoke(console);
        } catch (NoSuchMethodException e) {
            return true;
        } catch (ReflectiveOperationException e) {
            return false;
        }
    }
}
