package io.raftkv.mapreduce.cli;

import io.raftkv.common.cli.StartupException;
import io.raftkv.mapreduce.app.AppLoadException;
import io.raftkv.mapreduce.app.AppRegistry;
import io.raftkv.mapreduce.app.AppSpec;
import io.raftkv.mapreduce.app.MapReduceApp;
import java.nio.file.Path;
import java.util.Iterator;
import picocli.CommandLine.Option;

/** The options that choose an app, shared by the coordinator, the worker and the sequential runner. */
public final class AppOptions {

    @Option(names = "--app", paramLabel = "APP", defaultValue = "${env:MR_APP}",
            completionCandidates = BuiltInApps.class,
            description = "A built-in app: ${COMPLETION-CANDIDATES} (env MR_APP).")
    String app;

    @Option(names = "--app-class", paramLabel = "CLASS",
            description = "A user app instead: a class implementing io.raftkv.mapreduce.app.MapReduceApp.")
    String appClass;

    @Option(names = "--app-jar", paramLabel = "JAR",
            description = "The jar that holds --app-class (default: the class path).")
    Path appJar;

    /** The app the options name, checked for consistency but not loaded. */
    public AppSpec spec() {
        if (appClass != null) {
            if (app != null && !app.isBlank() && !isFromEnvironment()) {
                throw new StartupException("give either --app or --app-class, not both");
            }
            return AppSpec.userClass(appClass, appJar);
        }
        if (appJar != null) {
            throw new StartupException("--app-jar needs --app-class to name the app's class");
        }
        if (app == null || app.isBlank()) {
            throw new StartupException("no app given: use --app APP (one of " + String.join(", ",
                    AppRegistry.builtInNames()) + ") or --app-class CLASS [--app-jar JAR]");
        }
        return AppSpec.builtIn(app.trim());
    }

    /** Loads the app, turning any problem into a one-line startup error. */
    public MapReduceApp load() {
        AppSpec spec = spec();
        try {
            return AppRegistry.create(spec);
        } catch (AppLoadException e) {
            throw new StartupException(e.getMessage());
        }
    }

    private boolean isFromEnvironment() {
        return app.equals(System.getenv("MR_APP"));
    }

    /** Lists the built-in app names in the help text. */
    static final class BuiltInApps implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return AppRegistry.builtInNames().iterator();
        }
    }
}
