package io.raftkv.common.status;

/**
 * A process's status page, served beside its metrics: the HTML at {@code /} (self-contained: no script, style or
 * font from anywhere else, so it works air-gapped) and the state it shows at {@code /status.json}, which the page
 * polls.
 */
public interface StatusPage {
    /** The page. */
    String html();

    /** The state the page shows now, as one JSON object; computed for every request. */
    String json();
}
