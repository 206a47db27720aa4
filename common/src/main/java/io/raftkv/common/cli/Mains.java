package io.raftkv.common.cli;

import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine;

/**
 * The one way a raftkv {@code main} runs its picocli command: usage errors print a one-line message and a hint, a
 * {@link StartupException} prints {@code error: <message>}, and the process exits with the matching code.
 */
public final class Mains {
    private Mains() {}

    /** Parses {@code args}, runs the command and returns its exit code (does not exit). */
    public static int execute(Object command, String... args) {
        CommandLine cli = new CommandLine(command);
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setParameterExceptionHandler(Mains::onBadParameters);
        cli.setExecutionExceptionHandler((ex, line, parseResult) -> onExecutionFailure(ex, line));
        return cli.execute(args);
    }

    /** Runs the command and exits the JVM with its exit code. */
    public static void run(Object command, String... args) {
        NameLookups.uncached();
        int code = execute(command, args);
        System.exit(code);
    }

    private static int onBadParameters(CommandLine.ParameterException ex, String[] args) {
        CommandLine cli = ex.getCommandLine();
        PrintWriter err = cli.getErr();
        err.println("error: " + message(ex, cli));
        err.println("Try '" + cli.getCommandSpec().qualifiedName() + " --help' for more information.");
        err.flush();
        return ExitCodes.USAGE;
    }

    /** Picocli's message, except for an unknown command, which names the commands there are. */
    private static String message(CommandLine.ParameterException ex, CommandLine cli) {
        if (ex instanceof CommandLine.UnmatchedArgumentException unmatched && !cli.getSubcommands().isEmpty()) {
            List<String> arguments = unmatched.getUnmatched();
            if (!arguments.isEmpty() && !arguments.get(0).startsWith("-")) {
                return "unknown command '" + arguments.get(0) + "'; the commands are: "
                        + String.join(", ", cli.getSubcommands().keySet());
            }
        }
        return ex.getMessage();
    }

    private static int onExecutionFailure(Exception ex, CommandLine cli) {
        PrintWriter err = cli.getErr();
        if (ex instanceof StartupException startup) {
            err.println("error: " + startup.getMessage());
            err.flush();
            return startup.exitCode();
        }
        err.println("error: " + ex);
        ex.printStackTrace(err);
        err.flush();
        return ExitCodes.FAILURE;
    }
}
