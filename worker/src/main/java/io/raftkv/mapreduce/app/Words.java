package io.raftkv.mapreduce.app;

import java.util.ArrayList;
import java.util.List;

/** Splits text into words: maximal runs of letters ({@link Character#isLetter(int)}), by code point. */
public final class Words {
    private Words() {}

    public static List<String> split(String text) {
        List<String> words = new ArrayList<>();
        int length = text.length();
        int start = -1;
        int i = 0;
        while (i < length) {
            int codePoint = text.codePointAt(i);
            if (Character.isLetter(codePoint)) {
                if (start < 0) {
                    start = i;
                }
            } else if (start >= 0) {
                words.add(text.substring(start, i));
                start = -1;
            }
            i += Character.charCount(codePoint);
        }
        if (start >= 0) {
            words.add(text.substring(start));
        }
        return words;
    }
}
