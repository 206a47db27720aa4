package io.raftkv.mapreduce.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class WordsTest {

    @Test
    void wordsAreMaximalRunsOfLetters() {
        assertEquals(List.of("Hello", "world", "it", "s", "o", "clock"),
                Words.split("Hello, world! it's 5 o'clock..."));
    }

    @Test
    void digitsUnderscoresAndPunctuationSeparateWords() {
        assertEquals(List.of("abc", "def", "g"), Words.split("abc1def_g"));
        assertEquals(List.of(), Words.split("123 -- 456 !?"));
        assertEquals(List.of(), Words.split(""));
    }

    @Test
    void nonAsciiLettersBelongToWords() {
        assertEquals(List.of("naïve", "Über", "straße", "日本語"), Words.split("naïve Über-straße 日本語"));
    }

    @Test
    void lettersOutsideTheBasicPlaneAreWholeCodePoints() {
        String script = "\uD835\uDC9C\uD835\uDC9E"; // two mathematical script capitals, letters beyond U+FFFF
        assertEquals(List.of("a" + script + "b"), Words.split(" a" + script + "b "));
        // An emoji is not a letter: it splits words without leaving half a surrogate pair behind.
        assertEquals(List.of("x", "y"), Words.split("x\uD83D\uDE00y"));
    }
}
