package io.contextgraph.data;

import com.google.common.math.LongMath;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Keeps the sessions of an upload that may be stored and drops the rest.
 *
 * <p>Input is the upload document as a JSON library maps it without a schema: lists, maps with
 * string keys, strings, {@code Integer}/{@code Long}/{@code BigInteger}, {@code Double}/
 * {@code BigDecimal}, {@code Boolean} and {@code null}. A session (a map) is kept when:
 * <ul>
 *   <li>{@code url} is a string that {@link UrlFilter} accepts;</li>
 *   <li>{@code start_time} is an integer of Unix seconds at most 1 day after and at most 14 days
 *       before the second the upload was accepted, both bounds included. The acceptance time, not the
 *       time of processing: a backlog or a replayed dead letter must not turn valid sessions into drops;</li>
 *   <li>{@code duration}, when present, is an integer number of milliseconds from 0 up; above
 *       21 days it is clamped to 21 days; missing means 0;</li>
 *   <li>{@code tab_id}, when present, is a string of 2 to 36 characters.</li>
 * </ul>
 * "Integer" means a JSON integer: a number written with a fraction or an exponent
 * ({@code 1764000000.0}, {@code 1.764E9}) is not one, even when its value is integral, because
 * the client's serialiser only writes those for non-integers. A JSON {@code null} for an optional
 * field counts as absent. Integers beyond the {@code long} range saturate, which keeps their
 * meaning (far out of the time window; a duration above the maximum or below 0). Other fields,
 * nested values included, are ignored and never stored.
 *
 * <p>Each element is looked at once and never descended into, so work is linear in the number of
 * sessions and independent of how deeply the client nested its values.
 */
public final class SessionFilter {

    static final long MAX_FUTURE_SECONDS = Duration.ofDays(1).toSeconds();
    static final long MAX_AGE_SECONDS = Duration.ofDays(14).toSeconds();
    static final long MAX_DURATION_MILLIS = Duration.ofDays(21).toMillis();
    static final int MIN_TAB_ID_LENGTH = 2;
    static final int MAX_TAB_ID_LENGTH = 36;

    private static final BigInteger LONG_MIN = BigInteger.valueOf(Long.MIN_VALUE);
    private static final BigInteger LONG_MAX = BigInteger.valueOf(Long.MAX_VALUE);

    private final UrlFilter urls;

    public SessionFilter(UrlFilter urls) {
        this.urls = Objects.requireNonNull(urls, "urls");
    }

    /**
     * Filters the value of a document's {@code sessions} key, judging times against {@code acceptedAt}, when the
     * upload was accepted. Anything but a list keeps nothing and drops nothing (the caller counts a validation
     * error because nothing was kept).
     */
    public FilterResult filter(Object sessionsValue, Instant acceptedAt) {
        if (!(sessionsValue instanceof List<?> elements)) {
            return new FilterResult(List.of(), 0, Set.of());
        }
        long now = acceptedAt.getEpochSecond();
        List<Session> kept = new ArrayList<>();
        Set<String> droppedUrls = new HashSet<>();
        int dropped = 0;
        for (Object element : elements) {
            Session session = accept(element, now);
            if (session != null) {
                kept.add(session);
                continue;
            }
            dropped++;
            if (element instanceof Map<?, ?> map && map.get("url") instanceof String url) {
                droppedUrls.add(url);
            }
        }
        return new FilterResult(kept, dropped, droppedUrls);
    }

    /** Filters a whole upload document: its {@code sessions} when it is a JSON object, else nothing. */
    public FilterResult filterDocument(Object document, Instant acceptedAt) {
        return filter(document instanceof Map<?, ?> map ? map.get("sessions") : null, acceptedAt);
    }

    /** The session {@code element} describes, or {@code null} when it breaks a rule. */
    private Session accept(Object element, long now) {
        if (!(element instanceof Map<?, ?> map)) {
            return null;
        }
        if (!(map.get("url") instanceof String url)) {
            return null;
        }
        OptionalLong startTime = integer(map.get("start_time"));
        if (startTime.isEmpty()
                || startTime.getAsLong() > LongMath.saturatedAdd(now, MAX_FUTURE_SECONDS)
                || startTime.getAsLong() < LongMath.saturatedAdd(now, -MAX_AGE_SECONDS)) {
            return null;
        }
        long duration = 0;
        Object durationValue = map.get("duration");
        if (durationValue != null) {
            OptionalLong given = integer(durationValue);
            if (given.isEmpty() || given.getAsLong() < 0) {
                return null;
            }
            duration = Math.min(given.getAsLong(), MAX_DURATION_MILLIS);
        }
        String tabId = null;
        Object tabValue = map.get("tab_id");
        if (tabValue != null) {
            if (!(tabValue instanceof String tab) || !isTabIdLength(tab)) {
                return null;
            }
            tabId = tab;
        }
        // Last: the URL check is the most expensive one.
        if (!urls.accepts(url)) {
            return null;
        }
        return new Session(url, startTime.getAsLong(), duration, tabId);
    }

    private static boolean isTabIdLength(String tab) {
        if (tab.length() < MIN_TAB_ID_LENGTH || tab.length() > 2 * MAX_TAB_ID_LENGTH) {
            return false;
        }
        int length = tab.codePointCount(0, tab.length());
        return length >= MIN_TAB_ID_LENGTH && length <= MAX_TAB_ID_LENGTH;
    }

    /** The value of a JSON integer, saturated to the {@code long} range; empty for anything else. */
    private static OptionalLong integer(Object value) {
        if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
            return OptionalLong.of(((Number) value).longValue());
        }
        if (value instanceof BigInteger big) {
            return OptionalLong.of(big.max(LONG_MIN).min(LONG_MAX).longValue());
        }
        return OptionalLong.empty();
    }
}
