package io.contextgraph.observability;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Statistic;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.util.DoubleFormat;
import io.micrometer.statsd.StatsdLineBuilder;

/**
 * Writes the DogStatsD line of one meter: {@code name:value|type|#key:value,...}, with the name exactly as
 * SPEC spells it.
 *
 * <p>Micrometer's own Datadog line builder adds a {@code statistic:count}/{@code statistic:value} tag to every
 * counter and gauge, which SPEC's metrics do not have; this builder writes only the meter's own tags. It also
 * strips {@link #TIMER_SUFFIX}: Micrometer identifies a meter by name and tags only, so a counter and a timer
 * both called {@code request} cannot live in one registry; timers are registered as {@code request.timer} and
 * go out on the wire as {@code request}.
 */
final class DogStatsdLines implements StatsdLineBuilder {

    /** Internal suffix of timer names, removed on the wire. */
    static final String TIMER_SUFFIX = ".timer";

    private final String prefix;
    private final String tags;

    DogStatsdLines(Meter.Id id) {
        this.prefix = sanitize(wireName(id)) + ":";
        this.tags = tagSection(id);
    }

    private static String wireName(Meter.Id id) {
        String name = id.getName();
        boolean timer = id.getType() == Meter.Type.TIMER;
        return timer && name.endsWith(TIMER_SUFFIX) ? name.substring(0, name.length() - TIMER_SUFFIX.length()) : name;
    }

    private static String tagSection(Meter.Id id) {
        StringBuilder section = new StringBuilder();
        for (Tag tag : id.getTagsAsIterable()) {
            section.append(section.isEmpty() ? "|#" : ",")
                    .append(sanitize(tag.getKey()))
                    .append(':')
                    .append(sanitize(tag.getValue()));
        }
        return section.toString();
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
