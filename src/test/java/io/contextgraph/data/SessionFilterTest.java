package io.contextgraph.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SessionFilterTest {

    private static final long NOW = 1_764_000_000L;
    private static final long DAY = 86_400L;
    private static final long MAX_DURATION = 21 * DAY * 1000;
    private static final String URL = "https://www.example.com/path?q=1";

    private static final Instant ACCEPTED = Instant.ofEpochSecond(NOW);

    private final SessionFilter filter = new SessionFilter(new UrlFilter(Blocklist.of(List.of("blocked.com"))));

    @Test
    void keepsAValidSessionWithAllFields() {
        FilterResult result = filter.filter(List.of(session(URL, NOW, 2400L, "-31-2")), ACCEPTED);
        assertThat(result.kept()).containsExactly(new Session(URL, NOW, 2400, "-31-2"));
        assertThat(result.droppedSessions()).isZero();
        assertThat(result.droppedUrls()).isEmpty();
        assertThat(result.keptNothing()).isFalse();
    }

    @Test
    void keepsTheExampleOfTheSpecification() {
        Map<String, Object> example = Map.of(
                "url", "https://www.example.com/path?q=1", "start_time", 1764000000,
                "duration", 2400, "tab_id", "-31-2");
        assertThat(filter.filter(List.of(example), ACCEPTED).kept())
                .containsExactly(new Session("https://www.example.com/path?q=1", 1764000000L, 2400L, "-31-2"));
    }

    @Test
    void dropsUnknownFields() {
        Map<String, Object> session = session(URL, NOW, 10, "ab");
        session.put("title", "My bank statement");
        session.put("nested", Map.of("cookies", List.of("secret")));
        Session kept = filter.filter(List.of(session), ACCEPTED).kept().getFirst();
        assertThat(kept.toJsonObject())
                .containsOnlyKeys("url", "start_time", "duration", "tab_id")
                .doesNotContainValue("My bank statement");
    }

    @Test
    void keepsOrderAndCountsDrops() {
        FilterResult result = filter.filter(List.of(
                session("https://a.example.com/", NOW, 1, null),
                session("https://blocked.com/", NOW, 1, null),
                session("https://b.example.com/", NOW, 2, null),
                "not a session",
                session("https://c.example.com/", NOW, 3, null)), ACCEPTED);
        assertThat(result.kept()).extracting(Session::url)
                .containsExactly("https://a.example.com/", "https://b.example.com/", "https://c.example.com/");
        assertThat(result.droppedSessions()).isEqualTo(2);
        assertThat(result.droppedUrls()).containsExactly("https://blocked.com/");
    }

    // start_time

    static Stream<Arguments> startTimes() {
        return Stream.of(
                Arguments.of(NOW, true),
                Arguments.of(NOW + DAY, true),               // 1 day ahead: the bound
                Arguments.of(NOW + DAY + 1, false),
                Arguments.of(NOW - 14 * DAY, true),          // 14 days old: the bound
                Arguments.of(NOW - 14 * DAY - 1, false),
                Arguments.of(0L, false),
                Arguments.of(-1L, false),
                Arguments.of(Long.MIN_VALUE, false),
                Arguments.of(Long.MAX_VALUE, false),
                Arguments.of(NOW * 1000, false));            // milliseconds by mistake
    }

    @ParameterizedTest(name = "start_time {0}: kept {1}")
    @MethodSource("startTimes")
    void startTimeWindow(long startTime, boolean kept) {
        assertThat(filter.filter(List.of(session(URL, startTime, null, null)), ACCEPTED).kept()).hasSize(kept ? 1 : 0);
    }

    @Test
    void boundsAreWholeSecondsOfTheAcceptanceTime() {
        Instant halfPastNow = Instant.ofEpochSecond(NOW, 999_000_000);
        SessionFilter any = new SessionFilter(new UrlFilter(Blocklist.of(List.of())));
        assertThat(any.filter(List.of(session(URL, NOW + DAY, null, null)), halfPastNow).kept()).hasSize(1);
        assertThat(any.filter(List.of(session(URL, NOW + DAY + 1, null, null)), halfPastNow).kept()).isEmpty();
        assertThat(any.filter(List.of(session(URL, NOW - 14 * DAY, null, null)), halfPastNow).kept()).hasSize(1);
        assertThat(any.filter(List.of(session(URL, NOW - 14 * DAY - 1, null, null)), halfPastNow).kept()).isEmpty();
    }

    static Stream<Arguments> startTimeValues() {
        return Stream.of(
                Arguments.of((int) NOW, true),
                Arguments.of(NOW, true),
                Arguments.of(BigInteger.valueOf(NOW), true),
                Arguments.of(BigInteger.TWO.pow(80), false),
                Arguments.of(BigInteger.TWO.pow(80).negate(), false),
                Arguments.of((double) NOW, false),           // 1764000000.0: not a JSON integer
                Arguments.of(NOW + 0.5, false),
                Arguments.of(1.0E9, false),
                Arguments.of(new BigDecimal("1764000000"), false),
                Arguments.of(new BigDecimal("1764000000.0"), false),
                Arguments.of(String.valueOf(NOW), false),
                Arguments.of(true, false),
                Arguments.of(List.of(NOW), false),
                Arguments.of(Map.of("seconds", NOW), false),
                Arguments.of(null, false));
    }

    @ParameterizedTest(name = "start_time {0}: kept {1}")
    @MethodSource("startTimeValues")
    void startTimeMustBeAJsonInteger(Object value, boolean kept) {
        Map<String, Object> session = session(URL, NOW, null, null);
        session.put("start_time", value);
        assertThat(filter.filter(List.of(session), ACCEPTED).kept()).hasSize(kept ? 1 : 0);
    }

    @Test
    void startTimeIsRequired() {
        Map<String, Object> session = session(URL, NOW, null, null);
        session.remove("start_time");
        assertThat(filter.filter(List.of(session), ACCEPTED).droppedSessions()).isEqualTo(1);
    }

    // duration

    static Stream<Arguments> durations() {
        return Stream.of(
                Arguments.of(0, 0L),
                Arguments.of(2400, 2400L),
                Arguments.of(2400L, 2400L),
                Arguments.of(BigInteger.valueOf(2400), 2400L),
                Arguments.of(MAX_DURATION, MAX_DURATION),
                Arguments.of(MAX_DURATION + 1, MAX_DURATION),      // clamped
                Arguments.of(Integer.MAX_VALUE, MAX_DURATION),
                Arguments.of(Long.MAX_VALUE, MAX_DURATION),
                Arguments.of(BigInteger.TWO.pow(100), MAX_DURATION),
                Arguments.of(null, 0L));                           // null counts as absent
    }

    @ParameterizedTest(name = "duration {0} -> {1}")
    @MethodSource("durations")
    void durationIsKeptOrClamped(Object value, long expected) {
        Map<String, Object> session = session(URL, NOW, null, null);
        session.put("duration", value);
        assertThat(filter.filter(List.of(session), ACCEPTED).kept()).singleElement()
                .extracting(Session::durationMillis).isEqualTo(expected);
    }

    @Test
    void missingDurationMeansZero() {
        assertThat(filter.filter(List.of(session(URL, NOW, null, null)), ACCEPTED).kept()).singleElement()
                .extracting(Session::durationMillis).isEqualTo(0L);
    }

    static Stream<Object> badDurations() {
        return Stream.of(-1, -1L, Long.MIN_VALUE, BigInteger.TWO.pow(100).negate(), 2400.0, 2400.5, -0.0,
                new BigDecimal("2400"), "2400", true, false, List.of(2400), Map.of());
    }

    @ParameterizedTest(name = "duration {0}")
    @MethodSource("badDurations")
    void dropsBadDurations(Object value) {
        Map<String, Object> session = session(URL, NOW, null, null);
        session.put("duration", value);
        FilterResult result = filter.filter(List.of(session), ACCEPTED);
        assertThat(result.kept()).isEmpty();
        assertThat(result.droppedSessions()).isEqualTo(1);
        assertThat(result.droppedUrls()).containsExactly(URL);
    }

    // tab_id

    static Stream<Arguments> tabIds() {
        return Stream.of(
                Arguments.of("ab", true),
                Arguments.of("-31-2", true),
                Arguments.of("x".repeat(36), true),
                Arguments.of("\ud83d\ude00".repeat(36), true),     // 36 characters, 72 UTF-16 units
                Arguments.of("\ud83d\ude00", false),                // 1 character, 2 UTF-16 units
                Arguments.of("a", false),
                Arguments.of("", false),
                Arguments.of("x".repeat(37), false),
                Arguments.of("x".repeat(10_000), false),
                Arguments.of(12, false),
                Arguments.of(12L, false),
                Arguments.of(1.5, false),
                Arguments.of(true, false),
                Arguments.of(List.of("ab"), false),
                Arguments.of(Map.of("group", "ab"), false));
    }

    @ParameterizedTest(name = "tab_id {0}: kept {1}")
    @MethodSource("tabIds")
    void tabId(Object value, boolean kept) {
        Map<String, Object> session = session(URL, NOW, null, null);
        session.put("tab_id", value);
        List<Session> result = filter.filter(List.of(session), ACCEPTED).kept();
        if (kept) {
            assertThat(result).singleElement().extracting(Session::tabId).isEqualTo(value);
        } else {
            assertThat(result).isEmpty();
        }
    }

    @Test
    void missingOrNullTabIdIsAbsent() {
        Map<String, Object> withNull = session(URL, NOW, null, null);
        withNull.put("tab_id", null);
        FilterResult result = filter.filter(List.of(session(URL, NOW, null, null), withNull), ACCEPTED);
        assertThat(result.kept()).extracting(Session::tabId).containsExactly(null, null);
        assertThat(result.kept().getFirst().toJsonObject()).doesNotContainKey("tab_id");
    }

    // url

    static Stream<Object> nonStringUrls() {
        return Stream.of(12, 1.5, true, List.of(URL), Map.of("href", URL));
    }

    @ParameterizedTest(name = "url {0}")
    @MethodSource("nonStringUrls")
    void dropsNonStringUrlsWithoutCountingThemAsUrls(Object value) {
        Map<String, Object> session = session(URL, NOW, null, null);
        session.put("url", value);
        FilterResult result = filter.filter(List.of(session), ACCEPTED);
        assertThat(result.droppedSessions()).isEqualTo(1);
        assertThat(result.droppedUrls()).isEmpty();
    }

    @Test
    void dropsMissingAndNullUrls() {
        Map<String, Object> missing = session(URL, NOW, null, null);
        missing.remove("url");
        Map<String, Object> nullUrl = session(URL, NOW, null, null);
        nullUrl.put("url", null);
        FilterResult result = filter.filter(List.of(missing, nullUrl), ACCEPTED);
        assertThat(result.droppedSessions()).isEqualTo(2);
        assertThat(result.droppedUrls()).isEmpty();
    }

    @Test
    void countsEachDroppedUrlOnce() {
        FilterResult result = filter.filter(List.of(
                session("http://127.0.0.1/", NOW, null, null),
                session("http://127.0.0.1/", NOW, null, null),
                session("https://www.blocked.com/", NOW, null, null),
                session(URL, NOW - 15 * DAY, null, null),       // a good URL in a bad session
                session(URL, NOW, null, null)), ACCEPTED);
        assertThat(result.kept()).hasSize(1);
        assertThat(result.droppedSessions()).isEqualTo(4);
        assertThat(result.droppedUrls())
                .containsExactlyInAnyOrder("http://127.0.0.1/", "https://www.blocked.com/", URL);
    }

    @Test
    void urlRulesApply() {
        assertThat(filter.filter(List.of(
                session("ftp://example.com/", NOW, null, null),
                session("https://user@example.com/", NOW, null, null),
                session("https://example.com:8080/", NOW, null, null),
                session("http://localhost/", NOW, null, null)), ACCEPTED).kept()).isEmpty();
    }

    // the shape of the input

    static Stream<Object> notALists() {
        return Stream.of(null, "sessions", 12, true, Map.of("url", URL), Map.of());
    }

    @ParameterizedTest(name = "sessions {0}")
    @MethodSource("notALists")
    void anythingButAListKeepsNothing(Object value) {
        FilterResult result = filter.filter(value, ACCEPTED);
        assertThat(result.kept()).isEmpty();
        assertThat(result.keptNothing()).isTrue();
        assertThat(result.droppedSessions()).isZero();
        assertThat(result.droppedUrls()).isEmpty();
    }

    @Test
    void anEmptyListKeepsNothing() {
        assertThat(filter.filter(List.of(), ACCEPTED).keptNothing()).isTrue();
    }

    @Test
    void elementsThatAreNoObjectsAreDropped() {
        FilterResult result = filter.filter(Arrays.asList(null, "x", 1, 2.5, true, List.of(), List.of(URL, NOW),
                session(URL, NOW, null, null)), ACCEPTED);
        assertThat(result.kept()).hasSize(1);
        assertThat(result.droppedSessions()).isEqualTo(7);
        assertThat(result.droppedUrls()).isEmpty();
    }

    @Test
    void filtersAWholeDocument() {
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("sessions", List.of(session(URL, NOW, null, null)));
        document.put("client", "extension 1.2");
        assertThat(filter.filterDocument(document, ACCEPTED).kept()).hasSize(1);
        assertThat(filter.filterDocument(Map.of("session", List.of(session(URL, NOW, null, null))), ACCEPTED).keptNothing())
                .isTrue();
        assertThat(filter.filterDocument(List.of(session(URL, NOW, null, null)), ACCEPTED).keptNothing()).isTrue();
        assertThat(filter.filterDocument(null, ACCEPTED).keptNothing()).isTrue();
    }

    @Test
    void deeplyNestedUnknownValuesAreNeverWalked() {
        Object deep = "bottom";
        for (int i = 0; i < 200_000; i++) {
            deep = List.of(deep);
        }
        Map<String, Object> session = session(URL, NOW, null, null);
        session.put("extra", deep);
        assertThat(filter.filter(List.of(session), ACCEPTED).kept()).hasSize(1);
    }

    @Test
    void aMillionSessionsArePossible() {
        Map<String, Object> stale = session(URL, NOW - 30 * DAY, null, null);
        Map<String, Object> good = session(URL, NOW, 1L, "ab");
        List<Object> sessions = new ArrayList<>(Collections.nCopies(999_000, stale));
        sessions.addAll(Collections.nCopies(1_000, good));
        FilterResult result = filter.filter(sessions, ACCEPTED);
        assertThat(result.kept()).hasSize(1_000);
        assertThat(result.droppedSessions()).isEqualTo(999_000);
        assertThat(result.droppedUrls()).containsExactly(URL);
    }

    // the session record

    @Test
    void sessionAsStoredJson() {
        assertThat(new Session(URL, NOW, 2400, "-31-2").toJsonObject())
                .containsExactly(
                        Map.entry("url", URL), Map.entry("start_time", NOW),
                        Map.entry("duration", 2400L), Map.entry("tab_id", "-31-2"));
        assertThat(new Session(URL, NOW, 0, null).toJsonObject()).containsOnlyKeys("url", "start_time", "duration");
    }

    /** A mutable session map, as Jackson would produce it; {@code null} leaves the field out. */
    private static Map<String, Object> session(String url, long startTime, Object duration, String tabId) {
        Map<String, Object> session = new HashMap<>();
        session.put("url", url);
        session.put("start_time", startTime);
        if (duration != null) {
            session.put("duration", duration);
        }
        if (tabId != null) {
            session.put("tab_id", tabId);
        }
        return session;
    }
}
