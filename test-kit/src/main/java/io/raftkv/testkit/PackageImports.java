package io.raftkv.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Which packages of a source tree import which others, read from the sources' {@code package} and {@code import}
 * lines, so that a test can hold the packages to one direction. Only imports of the tree's own packages count.
 */
public final class PackageImports {
    private static final Pattern PACKAGE = Pattern.compile("^package ([\\w.]+);", Pattern.MULTILINE);
    private static final Pattern IMPORT = Pattern.compile("^import (?:static )?([\\w.]+)\\.\\w+;", Pattern.MULTILINE);

    private final Map<String, Set<String>> imports;

    private PackageImports(Map<String, Set<String>> imports) {
        this.imports = imports;
    }

    /** The imports between the packages of the {@code .java} files under {@code sourceRoot}. */
    public static PackageImports read(Path sourceRoot) {
        Map<String, Set<String>> imports = new TreeMap<>();
        Map<String, String> sources = new TreeMap<>();
        try (Stream<Path> files = Files.walk(sourceRoot)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                sources.put(file.toString(), Files.readString(file));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (String source : sources.values()) {
            Matcher pkg = PACKAGE.matcher(source);
            if (pkg.find()) {
                imports.computeIfAbsent(pkg.group(1), p -> new TreeSet<>());
            }
        }
        for (String source : sources.values()) {
            Matcher pkg = PACKAGE.matcher(source);
            if (!pkg.find()) {
                continue;
            }
            Matcher imported = IMPORT.matcher(source);
            while (imported.find()) {
                // a static import names a class, so its package may be one level further up
                String target = imported.group(1);
                while (!target.isEmpty() && !imports.containsKey(target)) {
                    int dot = target.lastIndexOf('.');
                    target = dot < 0 ? "" : target.substring(0, dot);
                }
                if (!target.isEmpty() && !target.equals(pkg.group(1))) {
                    imports.get(pkg.group(1)).add(target);
                }
            }
        }
        return new PackageImports(imports);
    }

    /** The tree's packages. */
    public Set<String> packages() {
        return imports.keySet();
    }

    /** The tree's packages that {@code pkg} imports. */
    public Set<String> importedBy(String pkg) {
        return imports.getOrDefault(pkg, Set.of());
    }

    /** A cycle of imports, as its packages in order with the first repeated last; empty if the imports have none. */
    public List<String> cycle() {
        Map<String, Integer> state = new TreeMap<>(); // 1: on the current path, 2: finished
        for (String start : imports.keySet()) {
            List<String> path = new ArrayList<>();
            List<String> found = visit(start, state, path);
            if (!found.isEmpty()) {
                return found;
            }
        }
        return List.of();
    }

    private List<String> visit(String pkg, Map<String, Integer> state, List<String> path) {
        Integer seen = state.get(pkg);
        if (seen != null) {
            if (seen == 1) {
                List<String> cycle = new ArrayList<>(path.subList(path.indexOf(pkg), path.size()));
                cycle.add(pkg);
                return cycle;
            }
            return List.of();
        }
        state.put(pkg, 1);
        path.add(pkg);
        for (String next : importedBy(pkg)) {
            List<String> found = visit(next, state, path);
            if (!found.isEmpty()) {
                return found;
            }
        }
        path.remove(path.size() - 1);
        state.put(pkg, 2);
        return List.of();
    }
}
