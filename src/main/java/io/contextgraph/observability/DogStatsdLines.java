package io.contextgraph.observability;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Statistic;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.util.DoubleFormat;
import io.micrometer.statsd.StatsdLineBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * Writes the DogStatsD line of one meter: {@code name:value|type|#key:value,...}, with the name exactly as
 * SPEC spells it.
 *
 * <p>Micrometer's own Datadog line builder adds a {@code statistic:count}/{@code statistic:value} tag to every
 * counter and gauge, which SPEC's metrics do not have; this builder writes only the meter's own tags. Its static
 * parts also serve {@link Metrics} for the timer lines it writes without a Micrometer meter.
 */
final class DogStatsdLines implements StatsdLineBuilder {

    private final String prefix;
    private final String tags;

    DogStatsdLines(Meter.Id id) {
        this.prefix = sanitize(id.getName()) + ":";
        this.tags = tagSection(id);
    }

    private static String tagSection(Meter.Id id) {
        List<String> keyValues = new ArrayList<>();
        for (Tag tag : id.getTagsAsIterable()) {
            keyValues.add(tag.getKey());
            keyValues.add(tag.getValue());
        }
        return tagSection(keyValues.toArray(String[]::new));
    }

    /**
     * The tag section ({@code |#key:value,...}) of tags given as key, value pairs, sorted by key as Micrometer
     * sorts them, so that lines written without a Micrometer meter look exactly like the others.
     */
    static String tagSection(String... keyValues) {
        TreeMap<String, String> sorted = new TreeMap<>();
        for (int i = 0; i + 1 < keyValues.length; i += 2) {
            sorted.put(keyValues[i], keyValues[i + 1]);
        }
        StringBuilder section = new StringBuilder();
        sorted.forEach((key, value) -> section.append(section.isEmpty() ? "|#" : ",")
                .append(sanitize(key)).append(':').append(sanitize(value)));
        return section.toString();
    }

    /**
     * Appends {@code nanos} as milliseconds with up to six decimals and no trailing zeros ({@code 12},
     * {@code 1.5}, {@code 0.000001}): what Micrometer writes for a timer, without its per-thread
     * {@code DecimalFormat} (a new one for every new virtual thread).
     */
    static StringBuilder appendMillis(StringBuilder out, long nanos) {
        out.append(nanos / 1_000_000);
        int fraction = (int) (nanos % 1_000_000);
        if (fraction != 0) {
            int digits = 6;
            while (fraction % 10 == 0) {
                fraction /= 10;
                digits--;
            }
            out.append('.');
            int width = 1;
            for (int rest = fraction / 10; rest > 0; rest /= 10) {
                width++;
            }
            for (; width < digits; width++) {
                out.append('0'); // leading zeros of the fraction: 0.05 ms is 50000 ns
            }
            out.append(fraction);
        }
        return out;
    }

    // The characters that delimit a DogStatsD line cannot be part of a name or a tag.
    private static String sanitize(String part) {
        StringBuilder clean = new StringBuilder(part.length());
        for (int i = 0; i < part.length(); i++) {
            char c = part.charAt(i);
            clean.append(c == ':' || c == '|' || c == '#' || c == ',' || c == '@' || Character.isWhitespace(c) ? '_' : c);
        }
        return clean.toString();
    }

    private String line(String value, String type) {
        return prefix + value + "|" + type + tags;
    }

    @Override
    public String count(long amount, Statistic statistic) {
        return line(Long.toString(amount), "c");
    }

    @Override
    public String gauge(double amount, Statistic statistic) {
        return line(DoubleFormat.decimalOrNan(amount), "g");
    }

    @Override
    public String histogram(double amount) {
        return line(DoubleFormat.decimalOrNan(amount), "h");
    }

    @Override
    public String timing(double timeMs) {
        return line(DoubleFormat.decimalOrNan(timeMs), "ms");
    }
}
