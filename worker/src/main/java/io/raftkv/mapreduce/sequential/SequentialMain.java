package io.raftkv.mapreduce.sequential;

import io.raftkv.common.cli.Mains;
import io.raftkv.common.cli.StartupException;
import io.raftkv.mapreduce.app.MapReduceApp;
import io.raftkv.mapreduce.cli.AppOptions;
import io.raftkv.mapreduce.cli.InputFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code mr-sequential}: the one-process reference run of a MapReduce app. */
@Command(name = "mr-sequential", sortOptions = false, usageHelpAutoWidth = true,
        description = {
            "Runs a MapReduce app over the input files in this one process and writes the result to mr-out-0 in"
                    + " the current directory (or --out-dir): the reference a distributed run is checked against.",
            ""})
public final class SequentialMain implements Callable<Integer> {

    @Mixin
    AppOptions appOptions;

    @Option(names = "--out-dir", paramLabel = "DIR", defaultValue = ".",
            description = "Where to write mr-out-0 (default: the current directory).")
    Path outDir;

    @Parameters(paramLabel = "INPUT_FILE", arity = "1..*", description = "The input files; each is one map call.")
    List<String> inputs;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    public static void main(String[] args) {
        Mains.run(new SequentialMain(), args);
    }

    @Override
    public Integer call() throws IOException {
        InputFiles.check(inputs);
        if (!Files.isDirectory(outDir)) {
            throw new StartupException("output directory not found: " + outDir);
        }
        MapReduceApp app = appOptions.load();
        Path output = SequentialRunner.run(app, inputs, outDir);
        System.out.println("output: " + output.toAbsolutePath().normalize());
        return 0;
    }
}
