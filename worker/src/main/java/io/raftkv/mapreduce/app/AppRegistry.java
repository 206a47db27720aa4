package io.raftkv.mapreduce.app;

import io.raftkv.mapreduce.apps.Crash;
import io.raftkv.mapreduce.apps.EarlyExit;
import io.raftkv.mapreduce.apps.Indexer;
import io.raftkv.mapreduce.apps.JobCount;
import io.raftkv.mapreduce.apps.MapTiming;
import io.raftkv.mapreduce.apps.ReduceTiming;
import io.raftkv.mapreduce.apps.WordCount;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Modifier;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.jar.JarFile;

/** Creates apps: the built-in ones by name, user apps by class name from a jar or the class path. */
public final class AppRegistry {
    private static final Map<String, Supplier<MapReduceApp>> BUILT_INS = builtIns();

    private AppRegistry() {}

    private static Map<String, Supplier<MapReduceApp>> builtIns() {
        Map<String, Supplier<MapReduceApp>> apps = new LinkedHashMap<>();
        apps.put("wc", WordCount::new);
        apps.put("indexer", Indexer::new);
        apps.put("mtiming", MapTiming::new);
        apps.put("rtiming", ReduceTiming::new);
        apps.put("jobcount", JobCount::new);
        apps.put("early_exit", EarlyExit::new);
        apps.put("crash", Crash::crashing);
        apps.put("nocrash", Crash::reliable);
        return Collections.unmodifiableMap(apps);
    }

    /** The names of the built-in apps, in the order they are documented. */
    public static Set<String> builtInNames() {
        return BUILT_INS.keySet();
    }

    /** Creates a fresh instance of the app. */
    public static MapReduceApp create(AppSpec spec) throws AppLoadException {
        return switch (spec) {
            case AppSpec.BuiltIn builtIn -> createBuiltIn(builtIn.name());
            case AppSpec.UserClass user -> createUserApp(user);
        };
    }

    private static MapReduceApp createBuiltIn(String name) throws AppLoadException {
        Supplier<MapReduceApp> factory = BUILT_INS.get(name);
        if (factory == null) {
            throw new AppLoadException("unknown app '" + name + "' (built-in apps: "
                    + String.join(", ", builtInNames()) + "; a user app is given with --app-class)");
        }
        return factory.get();
    }

    private static MapReduceApp createUserApp(AppSpec.UserClass user) throws AppLoadException {
        ClassLoader loader = AppRegistry.class.getClassLoader();
        String where = "the class path";
        if (user.jar().isPresent()) {
            Path jar = user.jar().get();
            checkJar(jar);
            loader = new URLClassLoader("app:" + jar.getFileName(), new URL[] {toUrl(jar)}, loader);
            where = jar.toString();
        }
        Class<?> type;
        try {
            type = Class.forName(user.className(), true, loader);
        } catch (ClassNotFoundException e) {
            throw new AppLoadException("app class " + user.className() + " not found in " + where);
        } catch (LinkageError e) {
            throw new AppLoadException("app class " + user.className() + " from " + where + " does not load: " + e);
        }
        if (!MapReduceApp.class.isAssignableFrom(type)) {
            throw new AppLoadException("app class " + user.className() + " does not implement "
                    + MapReduceApp.class.getName());
        }
        if (Modifier.isAbstract(type.getModifiers())) {
            throw new AppLoadException("app class " + user.className() + " is abstract");
        }
        Constructor<?> constructor;
        try {
            constructor = type.getConstructor();
        } catch (NoSuchMethodException e) {
            throw new AppLoadException("app class " + user.className() + " has no public no-argument constructor");
        }
        try {
            return (MapReduceApp) constructor.newInstance();
        } catch (InvocationTargetException e) {
            throw new AppLoadException("creating app " + user.className() + " failed: " + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new AppLoadException("creating app " + user.className() + " failed: " + e, e);
        }
    }

    private static void checkJar(Path jar) throws AppLoadException {
        if (!Files.isRegularFile(jar)) {
            throw new AppLoadException("app jar not found: " + jar);
        }
        try {
            // Opening it is the check: a file that is not a zip fails here with a clear cause.
            new JarFile(jar.toFile()).close();
        } catch (IOException e) {
            throw new AppLoadException("app jar " + jar + " cannot be read as a jar: " + e.getMessage());
        }
    }

    private static URL toUrl(Path jar) throws AppLoadException {
        try {
            return jar.toAbsolutePath().toUri().toURL();
        } catch (MalformedURLException e) {
            throw new AppLoadException("app jar path " + jar + " is not usable: " + e.getMessage());
        }
    }
}
