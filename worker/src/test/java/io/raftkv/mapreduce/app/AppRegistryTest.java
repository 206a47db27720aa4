package io.raftkv.mapreduce.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AppRegistryTest {
    @TempDir
    Path dir;

    @Test
    void everyBuiltInAppIsCreatedByName() throws AppLoadException {
        assertEquals(List.of("wc", "indexer", "mtiming", "rtiming", "jobcount", "early_exit", "crash", "nocrash"),
                List.copyOf(AppRegistry.builtInNames()));
        for (String name : AppRegistry.builtInNames()) {
            assertTrue(AppRegistry.create(AppSpec.builtIn(name)) != null, name);
        }
        assertTrue(AppRegistry.create(AppSpec.builtIn("wc")).combiner().isPresent(), "wc has a combiner");
        assertFalse(AppRegistry.create(AppSpec.builtIn("indexer")).combiner().isPresent());
    }

    @Test
    void unknownNameListsTheBuiltIns() {
        AppLoadException e = assertThrows(AppLoadException.class, () -> AppRegistry.create(AppSpec.builtIn("wx")));
        assertEquals("unknown app 'wx' (built-in apps: wc, indexer, mtiming, rtiming, jobcount, early_exit, crash,"
                + " nocrash; a user app is given with --app-class)", e.getMessage());
    }

    @Test
    void userAppLoadsFromAJarThatIsNotOnTheClassPath() throws Exception {
        assertThrows(ClassNotFoundException.class, () -> Class.forName(UserAppJars.UPPER_WORD_COUNT_CLASS));
        Path jar = UserAppJars.upperWordCount(dir);
        MapReduceApp app = AppRegistry.create(AppSpec.userClass(UserAppJars.UPPER_WORD_COUNT_CLASS, jar));
        assertEquals(List.of(new KeyValue("HELLO", "1"), new KeyValue("WORLD", "1")), app.map("f", "hello world"));
        assertEquals("3", app.reduce("HELLO", List.of("1", "1", "1")));
        assertEquals("class:" + UserAppJars.UPPER_WORD_COUNT_CLASS,
                AppSpec.userClass(UserAppJars.UPPER_WORD_COUNT_CLASS, jar).id());
    }

    @Test
    void userAppLoadsFromTheClassPath() throws Exception {
        MapReduceApp app = AppRegistry.create(AppSpec.userClass(LengthApp.class.getName(), null));
        assertEquals(List.of(new KeyValue("length", "5")), app.map("f", "hello"));
    }

    @Test
    void classMissingFromTheJar() {
        Path jar = UserAppJars.upperWordCount(dir);
        AppLoadException e = assertThrows(AppLoadException.class,
                () -> AppRegistry.create(AppSpec.userClass("com.example.Missing", jar)));
        assertEquals("app class com.example.Missing not found in " + jar, e.getMessage());
    }

    @Test
    void classThatIsNotAnApp() {
        AppLoadException e = assertThrows(AppLoadException.class,
                () -> AppRegistry.create(AppSpec.userClass("java.lang.String", null)));
        assertEquals("app class java.lang.String does not implement io.raftkv.mapreduce.app.MapReduceApp",
                e.getMessage());
    }

    @Test
    void classWithoutNoArgumentConstructor() {
        AppLoadException e = assertThrows(AppLoadException.class,
                () -> AppRegistry.create(AppSpec.userClass(NeedsArgument.class.getName(), null)));
        assertTrue(e.getMessage().endsWith("has no public no-argument constructor"), e.getMessage());
    }

    @Test
    void classWhoseConstructorThrows() {
        AppLoadException e = assertThrows(AppLoadException.class,
                () -> AppRegistry.create(AppSpec.userClass(BrokenApp.class.getName(), null)));
        assertTrue(e.getMessage().contains("failed: java.lang.IllegalStateException: no config"), e.getMessage());
    }

    @Test
    void missingJarAndNonJarFile() throws Exception {
        Path missing = dir.resolve("nope.jar");
        AppLoadException e = assertThrows(AppLoadException.class,
                () -> AppRegistry.create(AppSpec.userClass("a.B", missing)));
        assertEquals("app jar not found: " + missing, e.getMessage());

        Path notAJar = Files.writeString(dir.resolve("text.jar"), "just text");
        e = assertThrows(AppLoadException.class, () -> AppRegistry.create(AppSpec.userClass("a.B", notAJar)));
        assertTrue(e.getMessage().startsWith("app jar " + notAJar + " cannot be read as a jar"), e.getMessage());
    }

    public static final class LengthApp implements MapReduceApp {
        @Override
        public List<KeyValue> map(String filename, String contents) {
            return List.of(new KeyValue("length", Integer.toString(contents.length())));
        }

        @Override
        public String reduce(String key, List<String> values) {
            return String.join(",", values);
        }
    }

    public static final class NeedsArgument implements MapReduceApp {
        public NeedsArgument(String unused) {}

        @Override
        public List<KeyValue> map(String filename, String contents) {
            return List.of();
        }

        @Override
        public String reduce(String key, List<String> values) {
            return "";
        }
    }

    public static final class BrokenApp implements MapReduceApp {
        public BrokenApp() {
            throw new IllegalStateException("no config");
        }

        @Override
        public List<KeyValue> map(String filename, String contents) {
            return List.of();
        }

        @Override
        public String reduce(String key, List<String> values) {
            return "";
        }
    }
}
