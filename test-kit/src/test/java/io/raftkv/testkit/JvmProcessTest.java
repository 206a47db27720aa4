package io.raftkv.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JvmProcessTest {
    /** The child: prints its arguments, then either exits with the code given or sleeps until killed. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            System.out.println("args=" + String.join(",", args));
            System.out.flush();
            if (args[0].equals("sleep")) {
                Thread.sleep(60_000);
            }
            System.exit(Integer.parseInt(args[0]));
        }
    }

    @Test
    void runsMainClassInSeparateJvmAndReportsExitCode(@TempDir Path dir) {
        try (JvmProcess child = JvmProcess.builder(Child.class).args("7", "x").log(dir.resolve("child.log")).start()) {
            assertNotEquals(ProcessHandle.current().pid(), child.pid());
            assertEquals(7, child.waitFor(Duration.ofSeconds(30)));
            assertTrue(child.output().contains("args=7,x"), child.output());
        }
    }

    @Test
    void killStopsASleepingProcessAtOnce(@TempDir Path dir) {
        try (JvmProcess child = JvmProcess.builder(Child.class).args("sleep").log(dir.resolve("c.log")).start()) {
            Eventually.await("child prints", Duration.ofSeconds(30), () -> child.output().contains("args=sleep"));
            child.pause();
            child.resume();
            assertTrue(child.isAlive());
            child.kill();
            assertFalse(child.isAlive());
            assertEquals(137, child.waitFor(Duration.ofSeconds(5)), "SIGKILL exit status");
        }
    }
}
