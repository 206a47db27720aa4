package io.raftkv.common.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class StatusPageTest {
    @Test
    void aPageGetsTheSharedStylesAndScriptWrittenIn() {
        String page = StatusPage.load(StatusPageTest.class, "sample-page.html");
        assertFalse(page.contains("PAGE_KIT"), page);
        assertTrue(page.contains("function startPolling(url, intervalMs, render, onFailure)"), page);
        assertTrue(page.contains("function el(tag, attrs, ...children)"), page);
        assertTrue(page.contains(".banner:empty { display: none; }"), page);
    }

    @Test
    void aMissingPageIsAPackagingError() {
        assertEquals("the page nowhere.html is missing from the classpath",
                assertThrows(IllegalStateException.class, () -> StatusPage.load(StatusPageTest.class,
                        "nowhere.html")).getMessage());
    }
}
