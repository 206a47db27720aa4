package io.raftkv.kv.server.sim;

/** A simulated client that works in virtual time until asked to stop. */
interface ClientActor {

    void start();

    /** Asks the client to stop after the operation it is running. */
    void stop();

    /** Whether it has stopped (its last operation has ended). */
    boolean finished();
}
