package io.raftkv.mapreduce.apps;

/** Sleeping inside an app function: an interrupt ends the sleep early and keeps the thread's interrupt flag. */
final class Sleep {
    private Sleep() {}

    static void millis(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
