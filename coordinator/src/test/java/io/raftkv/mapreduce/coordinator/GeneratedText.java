package io.raftkv.mapreduce.coordinator;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;

/** Benchmark input: text of words drawn from a 20,000-word vocabulary with a Zipf-like distribution. */
final class GeneratedText {
    private static final int VOCABULARY = 20_000;
    private static final double ZIPF_EXPONENT = 1.1;

    private GeneratedText() {}

    /** Deterministic text: the same seed gives the same files on every machine. */
    static List<Path> files(Path inputDir, int fileCount, long bytesPerFile) throws IOException {
        Files.createDirectories(inputDir);
        Random random = new Random(6_824);
        String[] words = vocabulary(random);
        double[] cumulative = zipf(words.length);
        List<Path> files = new ArrayList<>();
        for (int f = 0; f < fileCount; f++) {
            Path file = inputDir.resolve(String.format(Locale.ROOT, "text-%03d.txt", f));
            long written = 0;
            try (Writer out = new BufferedWriter(new OutputStreamWriter(Files.newOutputStream(file),
                    StandardCharsets.UTF_8), 1 << 20)) {
                int inLine = 0;
                while (written < bytesPerFile) {
                    String word = words[sample(cumulative, random.nextDouble())];
                    if (inLine == 0) {
                        word = Character.toUpperCase(word.charAt(0)) + word.substring(1);
                    }
                    out.write(word);
                    written += word.length();
                    inLine++;
                    String separator = inLine >= 12 ? ".\n" : random.nextInt(10) == 0 ? ", " : " ";
                    if (separator.equals(".\n")) {
                        inLine = 0;
                    }
                    out.write(separator);
                    written += separator.length();
                }
            }
            files.add(file);
        }
        return files;
    }

    private static String[] vocabulary(Random random) {
        String[] syllables = {"ka", "lo", "mi", "ne", "ru", "ta", "so", "vi", "de", "pa", "gu", "shi", "ton", "mar",
            "el", "an", "or", "is", "ber", "qua", "zen", "ly", "ight", "ow", "ster"};
        Set<String> seen = new LinkedHashSet<>();
        while (seen.size() < VOCABULARY) {
            int parts = 1 + random.nextInt(4);
            StringBuilder word = new StringBuilder();
            for (int p = 0; p < parts; p++) {
                word.append(syllables[random.nextInt(syllables.length)]);
            }
            seen.add(word.toString());
        }
        return seen.toArray(String[]::new);
    }

    /** Cumulative probabilities of ranks 1..n with weight 1/rank^s. */
    private static double[] zipf(int n) {
        double[] cumulative = new double[n];
        double total = 0;
        for (int rank = 1; rank <= n; rank++) {
            total += 1.0 / Math.pow(rank, ZIPF_EXPONENT);
            cumulative[rank - 1] = total;
        }
        for (int i = 0; i < n; i++) {
            cumulative[i] /= total;
        }
        return cumulative;
    }

    private static int sample(double[] cumulative, double u) {
        int index = Arrays.binarySearch(cumulative, u);
        return Math.min(cumulative.length - 1, index >= 0 ? index : -index - 1);
    }
}
