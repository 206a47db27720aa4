package io.raftkv.deploy;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.testcontainers.DockerClientFactory;

/**
 * Gate for container tests ({@link RequiresDocker}): they need the docker CLI and an engine that both it and
 * Testcontainers reach. Without them the tests are skipped with the reason, unless {@code RAFTKV_REQUIRE_DOCKER=1}
 * (CI sets it), in which case they fail: a broken Docker setup must never pass as green.
 */
public final class DockerSupport implements ExecutionCondition, BeforeAllCallback {
    static final String REQUIRE_VARIABLE = "RAFTKV_REQUIRE_DOCKER";

    enum Decision { RUN, SKIP, FAIL }

    private static Optional<String> problem;

    /** What to do given whether Docker works and the value of {@link #REQUIRE_VARIABLE} (may be null). */
    static Decision decide(boolean dockerWorks, String requireValue) {
        if (dockerWorks) {
            return Decision.RUN;
        }
        boolean required = requireValue != null
                && (requireValue.trim().equals("1") || requireValue.trim().equalsIgnoreCase("true"));
        return required ? Decision.FAIL : Decision.SKIP;
    }

    /**
     * A precondition of a container test other than the engine itself (a built jar, the script-made base image, a
     * tool): skipped with {@code why} when it does not hold, but a failure under {@link #REQUIRE_VARIABLE}, where CI
     * promises everything the tests need and a skip would hide a test that never ran.
     */
    static void requireOrSkip(boolean holds, String why) {
        switch (decide(holds, System.getenv(REQUIRE_VARIABLE))) {
            case RUN -> { }
            case SKIP -> org.junit.jupiter.api.Assumptions.abort(why);
            case FAIL -> throw new AssertionError(REQUIRE_VARIABLE + "=1 but " + why);
        }
    }

    /** Why Docker cannot be used here, or empty if it can. Probed once per JVM. */
    static synchronized Optional<String> problem() {
        if (problem == null) {
            problem = probe();
        }
        return problem;
    }

    private static Optional<String> probe() {
        if (!Command.works(List.of("docker", "--version"))) {
            return Optional.of("the docker CLI is not on the PATH");
        }
        Command.Result server;
        try {
            server = Command.run(Duration.ofSeconds(20), List.of("docker", "version", "--format", "{{.Server.Version}}"));
        } catch (AssertionError e) {
            return Optional.of("'docker version' did not answer: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (server.exitCode() != 0) {
            return Optional.of("no Docker engine answers the docker CLI ("
                    + server.output().lines().filter(line -> !line.isBlank()).findFirst().orElse("no output") + ")");
        }
        if (!DockerClientFactory.instance().isDockerAvailable()) {
            return Optional.of("Testcontainers finds no Docker engine");
        }
        return Optional.empty();
    }

    /** Skips (reported as skipped, with the reason) when Docker is missing and not required. */
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        Optional<String> reason = problem();
        if (decide(reason.isEmpty(), System.getenv(REQUIRE_VARIABLE)) == Decision.SKIP) {
            return ConditionEvaluationResult.disabled("Docker is not available (" + reason.orElseThrow()
                    + "): container tests skipped. Set " + REQUIRE_VARIABLE + "=1 to make this a failure.");
        }
        return ConditionEvaluationResult.enabled("Docker is available or required");
    }

    /** Fails the test class when Docker is missing but required. */
    @Override
    public void beforeAll(ExtensionContext context) {
        Optional<String> reason = problem();
        if (decide(reason.isEmpty(), System.getenv(REQUIRE_VARIABLE)) == Decision.FAIL) {
            throw new AssertionError(REQUIRE_VARIABLE + "=1 but Docker is not available: " + reason.orElseThrow());
        }
    }
}
