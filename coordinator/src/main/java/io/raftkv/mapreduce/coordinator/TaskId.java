package io.raftkv.mapreduce.coordinator;

/** A task of the job: map task X (input file X) or reduce task Y (partition Y). */
record TaskId(Phase phase, int index) {
    @Override
    public String toString() {
        return phase.label() + " task " + index;
    }
}
