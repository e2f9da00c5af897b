package io.contextgraph.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Typed reads of environment variables; every failure names the variable. */
final class Env {
    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m|h|d)?");
    private static final Pattern BYTES = Pattern.compile("(\\d{1,19})\\s*(KiB|MiB|GiB)?");

    private final Map<String, String> values;

    Env(Map<String, String> values) {
        this.values = values;
    }

    /** Empty strings count as unset: a deployment template often exports VAR="". */
    Optional<String> text(String name) {
        return Optional.ofNullable(values.get(name)).filter(value -> !value.isBlank()).map(String::strip);
    }

    String text(String name, String fallback) {
        return text(name).orElse(fallback);
    }

    int integer(String name, int fallback, int min, int max) {
        return text(name).map(raw -> {
            try {
                int value = Integer.parseInt(raw);
                if (value < min || value > max) {
                    throw new ConfigException(name, "must be between " + min + " and " + max + ", got " + value);
                }
                return value;
            } catch (NumberFormatException e) {
                throw new ConfigException(name, "must be a whole number, got \"" + printable(raw) + "\"");
            }
        }).orElse(fallback);
    }

    int port(String name, int fallback) {
        return integer(name, fallback, 1, 65535);
    }

    boolean flag(String name, boolean fallback) {
        return text(name).map(raw -> switch (raw.toLowerCase(Locale.ROOT)) {
            case "1", "true", "yes", "on" -> true;
            case "0", "false", "no", "off" -> false;
            default -> throw new ConfigException(name, "must be true or false, got \"" + printable(raw) + "\"");
        }).orElse(fallback);
    }

    Duration duration(String name, Duration fallback, Duration min, Duration max) {
        return optionalDuration(name, min, max).orElse(fallback);
    }

    /** A duration that may be left unset, which means something of its own (e.g. "keep forever"). */
    Optional<Duration> optionalDuration(String name, Duration min, Duration max) {
        return text(name).map(raw -> {
            Matcher m = DURATION.matcher(raw);
            if (!m.matches()) {
                throw new ConfigException(name, "must be a duration such as 500ms, 30s, 5m, 2h or 1d, got \""
                        + printable(raw) + "\"");
            }
            long amount = Long.parseLong(m.group(1));
            Duration value = switch (m.group(2) == null ? "s" : m.group(2)) {
                case "ms" -> Duration.ofMillis(amount);
                case "m" -> Duration.ofMinutes(amount);
                case "h" -> Duration.ofHours(amount);
                case "d" -> Duration.ofDays(amount);
                default -> Duration.ofSeconds(amount);
            };
            if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
                throw new ConfigException(name, "must be between " + min + " and " + max + ", got " + raw);
            }
            return value;
        });
    }

    /** One of {@code allowed} (compared case-insensitively), as listed there. */
    Optional<String> oneOf(String name, List<String> allowed) {
        return text(name).map(raw -> allowed.stream().filter(value -> value.equalsIgnoreCase(raw)).findFirst()
                .orElseThrow(() -> new ConfigException(name, "must be "
                        + String.join(", ", allowed.subList(0, allowed.size() - 1)) + " or " + allowed.getLast()
                        + ", got \"" + printable(raw) + "\"")));
    }

    /** A byte count: a whole number, optionally followed by KiB, MiB or GiB (e.g. 268435456, 256MiB). */
    long byteCount(String name, long fallback, long min, long max) {
        return text(name).map(raw -> {
            Matcher m = BYTES.matcher(raw);
            if (!m.matches()) {
                throw new ConfigException(name, "must be a number of bytes such as 67108864 or 64MiB, got \""
                        + printable(raw) + "\"");
            }
            int shift = switch (m.group(2) == null ? "" : m.group(2)) {
                case "KiB" -> 10;
                case "MiB" -> 20;
                case "GiB" -> 30;
                default -> 0;
            };
            long amount;
            try {
                amount = Math.multiplyExact(Long.parseLong(m.group(1)), 1L << shift);
            } catch (ArithmeticException | NumberFormatException e) {
                throw new ConfigException(name, "is too large: " + printable(raw));
            }
            if (amount < min || amount > max) {
                throw new ConfigException(name, "must be between " + min + " and " + max + " bytes, got " + raw);
            }
            return amount;
        }).orElse(fallback);
    }

    Optional<URI> httpUri(String name) {
        return text(name).map(raw -> {
            try {
                URI uri = new URI(raw);
                if (uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))
                        || uri.getHost() == null) {
                    throw new ConfigException(name, "must be an http(s) URL with a host");
                }
                return uri;
            } catch (URISyntaxException e) {
                throw new ConfigException(name, "is not a valid URL");
            }
        });
    }

    Optional<Path> path(String name) {
        return text(name).map(Path::of);
    }

    /** Values can be secrets: show only a short, sanitised prefix of what was wrong. */
    private static String printable(String raw) {
        String cut = raw.length() > 20 ? raw.substring(0, 20) + "…" : raw;
        return cut.replaceAll("[^\\x20-\\x7e…]", "?");
    }
}
