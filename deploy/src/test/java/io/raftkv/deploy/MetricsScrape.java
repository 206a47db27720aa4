package io.raftkv.deploy;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** One scrape of a /metrics page in the Prometheus text format: its samples, by name. */
record MetricsScrape(List<Sample> samples) {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** One line of the page: name, the label text between the braces (or empty), value. */
    record Sample(String name, String labels, double value) {}

    static MetricsScrape of(String url) {
        return parse(fetch(url));
    }

    /** The body of a page the process serves beside its metrics (200 expected). */
    static String fetch(String url) {
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(url))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new AssertionError("GET " + url + " answered " + response.statusCode());
            }
            return response.body();
        } catch (IOException e) {
            throw new AssertionError("GET " + url + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while scraping " + url, e);
        }
    }

    /** One scrape within {@code timeout}, or empty when the process does not answer (down, paused, cut off). */
    static java.util.Optional<MetricsScrape> tryOf(String url, Duration timeout) {
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(timeout)
                    .build(), HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 ? java.util.Optional.of(parse(response.body()))
                    : java.util.Optional.empty();
        } catch (IOException e) {
            return java.util.Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while scraping " + url, e);
        }
    }

    static MetricsScrape parse(String page) {
        List<Sample> samples = new ArrayList<>();
        for (String line : page.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int brace = line.indexOf('{');
            int space = line.lastIndexOf(' ');
            String name = brace >= 0 && brace < space ? line.substring(0, brace) : line.substring(0, space);
            String labels = brace >= 0 && brace < space ? line.substring(brace + 1, line.lastIndexOf('}')) : "";
            samples.add(new Sample(name, labels, Double.parseDouble(line.substring(space + 1))));
        }
        return new MetricsScrape(List.copyOf(samples));
    }

    Set<String> names() {
        Set<String> names = new TreeSet<>();
        samples.forEach(sample -> names.add(sample.name()));
        return names;
    }

    /** The sum of every sample named {@code name} whose labels contain {@code labelFilter}. */
    double sum(String name, String labelFilter) {
        return samples.stream().filter(s -> s.name().equals(name) && s.labels().contains(labelFilter))
                .mapToDouble(Sample::value).sum();
    }

    double sum(String name) {
        return sum(name, "");
    }
}
