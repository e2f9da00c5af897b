import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Sorts the CPU samples of a web role's JFR recording into the parts of a request, to see where its CPU goes:
 * each sample counts for the part of its innermost frame that belongs to one (frames of the JDK or Jackson that
 * belong to none are skipped, so a Jackson frame under the log encoder counts as logging). Uses
 * {@code jdk.CPUTimeSample} (JDK 25, Linux: sees time inside system calls too) or else {@code jdk.ExecutionSample}.
 * Prints the parts, then the hottest innermost methods and the hottest contextgraph methods.
 * Run with the Java source launcher: {@code java bench/ProfileShares.java <recording.jfr>}.
 */
public final class ProfileShares {
    /** Part name -> frames ("class.method") that belong to it; the first part that matches a frame wins. */
    private static final Map<String, Pattern> PARTS = new LinkedHashMap<>();

    static {
        PARTS.put("virtual-thread scheduling (park, unpark, carrier wake-ups)", Pattern.compile(
                "^(java\\.lang\\.VirtualThread\\.|java\\.util\\.concurrent\\.ForkJoin|jdk\\.internal\\.misc\\.Unsafe\\.(park|unpark)"
                        + "|java\\.util\\.concurrent\\.locks\\.LockSupport)"));
        PARTS.put("metrics (incl. their UDP send)", Pattern.compile(
                "^(io\\.contextgraph\\.observability\\.(Metrics|DogStatsdLines|StatsdBatching|UdpLineSender)"
                        + "|io\\.contextgraph\\.web\\.RequestObserver\\.|io\\.micrometer|com\\.timgroup\\.statsd|com\\.datadoghq"
                        + "|sun\\.nio\\.ch\\.DatagramChannelImpl|java\\.net\\.DatagramSocket)"));
        PARTS.put("HTTP socket write (the response)", Pattern.compile(
                "^sun\\.nio\\.ch\\.(NioSocketImpl\\.(implWrite|write)|SocketDispatcher\\.write|IOUtil\\.write)"));
        PARTS.put("HTTP socket read (the request) and poller", Pattern.compile(
                "^sun\\.nio\\.ch\\.(NioSocketImpl\\.(implRead|read|park|timedRead|tryRead)|SocketDispatcher\\.read"
                        + "|IOUtil\\.read|Poller|EPoll|DefaultPoller)"));
        PARTS.put("Redis client (queue, Lettuce, Netty event loop and its socket I/O)", Pattern.compile(
                "^(io\\.lettuce|io\\.netty|io\\.contextgraph\\.queue\\.)"));
        PARTS.put("request.summary log line", Pattern.compile(
                "^(io\\.contextgraph\\.observability\\.(MozlogEncoder|BufferedStdoutAppender|LogQueueAppender|Logging|Redactor)"
                        + "|ch\\.qos\\.logback|org\\.slf4j)"));
        PARTS.put("JSON and UTF-8 check", Pattern.compile(
                "^(io\\.contextgraph\\.api\\.(PlainJsonFormat|UploadFormat)|io\\.contextgraph\\.document\\.UploadDocument"
                        + "|com\\.google\\.common\\.base\\.Utf8)"));
        PARTS.put("JFR, class loading, method handles", Pattern.compile(
                "^(jdk\\.jfr|java\\.lang\\.ClassLoader|jdk\\.internal\\.loader|java\\.lang\\.invoke|jdk\\.internal\\.reflect)"));
        PARTS.put("rest of Helidon (parse, route, headers)", Pattern.compile("^io\\.helidon"));
        PARTS.put("rest of contextgraph (handler, checks, ids, guards)", Pattern.compile("^io\\.contextgraph\\."));
    }

    private static final String OTHER = "other (JDK frames only)";
    private static final int TOP = 12;

    public static void main(String[] args) throws Exception {
        List<RecordedEvent> cpu = new ArrayList<>();
        List<RecordedEvent> execution = new ArrayList<>();
        for (RecordedEvent event : RecordingFile.readAllEvents(Path.of(args[0]))) {
            switch (event.getEventType().getName()) {
                case "jdk.CPUTimeSample" -> cpu.add(event);
                case "jdk.ExecutionSample" -> execution.add(event);
                default -> { }
            }
        }
        List<RecordedEvent> samples = cpu.isEmpty() ? execution : cpu;
        String kind = cpu.isEmpty() ? "jdk.ExecutionSample" : "jdk.CPUTimeSample";
        Map<String, Integer> parts = new LinkedHashMap<>();
        PARTS.keySet().forEach(name -> parts.put(name, 0));
        parts.put(OTHER, 0);
        Map<String, Integer> innermost = new HashMap<>();
        Map<String, Integer> ours = new HashMap<>();
        int total = 0;
        for (RecordedEvent sample : samples) {
            RecordedStackTrace stack = sample.getStackTrace();
            if (stack == null || stack.getFrames().isEmpty()) {
                continue;
            }
            total++;
            List<RecordedFrame> frames = stack.getFrames();
            innermost.merge(name(frames.getFirst()), 1, Integer::sum);
            parts.merge(partOf(frames), 1, Integer::sum);
            frames.stream().map(ProfileShares::name).filter(n -> n.startsWith("io.contextgraph.")).findFirst()
                    .ifPresent(n -> ours.merge(n, 1, Integer::sum));
        }
        System.out.printf("%d %s samples in %s%n", total, kind, args[0]);
        if (total == 0) {
            return;
        }
        int all = total;
        parts.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                .forEach(e -> System.out.printf("  %-68s %6d %5.1f %%%n", e.getKey(), e.getValue(), 100.0 * e.getValue() / all));
        System.out.println("hottest innermost methods:");
        top(innermost, all);
        System.out.println("hottest contextgraph methods (innermost contextgraph frame of each sample):");
        top(ours, all);
    }

    private static String partOf(List<RecordedFrame> frames) {
        for (RecordedFrame frame : frames) {
            String name = name(frame);
            for (Map.Entry<String, Pattern> part : PARTS.entrySet()) {
                if (part.getValue().matcher(name).find()) {
                    return part.getKey();
                }
            }
        }
        return OTHER;
    }

    private static void top(Map<String, Integer> counts, int total) {
        counts.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(TOP)
                .forEach(e -> System.out.printf("  %-90s %6d %5.1f %%%n", e.getKey(), e.getValue(), 100.0 * e.getValue() / total));
    }

    private static String name(RecordedFrame frame) {
        return frame.getMethod().getType().getName() + "." + frame.getMethod().getName();
    }
}
