package io.raftkv.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.raftkv.deploy.DockerSupport.Decision;
import org.junit.jupiter.api.Test;

class DockerSupportTest {
    @Test
    void workingDockerRunsWhateverTheVariableSays() {
        assertEquals(Decision.RUN, DockerSupport.decide(true, null));
        assertEquals(Decision.RUN, DockerSupport.decide(true, "1"));
    }

    @Test
    void missingDockerSkipsUnlessRequired() {
        assertEquals(Decision.SKIP, DockerSupport.decide(false, null));
        assertEquals(Decision.SKIP, DockerSupport.decide(false, ""));
        assertEquals(Decision.SKIP, DockerSupport.decide(false, "0"));
        assertEquals(Decision.FAIL, DockerSupport.decide(false, "1"));
        assertEquals(Decision.FAIL, DockerSupport.decide(false, " true "));
    }
}
