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

    /**
     * A page's HTML, a resource beside {@code owner}, with the styles and script every page shares written in where
     * it says {@code /*PAGE_KIT_CSS*}{@code /} and {@code /*PAGE_KIT_JS*}{@code /}; a missing resource is a packaging
     * error.
     */
    static String load(Class<?> owner, String name) {
        return read(owner, name).replace("/*PAGE_KIT_CSS*/", read(StatusPage.class, "page-kit.css"))
                .replace("/*PAGE_KIT_JS*/", read(StatusPage.class, "page-kit.js"));
    }

    private static String read(Class<?> owner, String name) {
        try (java.io.InputStream in = owner.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("the page " + name + " is missing from the classpath");
            }
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
