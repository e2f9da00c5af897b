package io.contextgraph;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package table of docs/architecture.md is kept by the code: every package is listed, every reference from one
 * package to another is one its row allows, the allowed dependencies point one way, and {@code data} uses the JDK
 * and Guava only.
 */
class PackageDependenciesTest {

    private static final Path DOC = Path.of("docs/architecture.md");
    private static final Path SOURCES = Path.of("src/main/java/io/contextgraph");
    private static final String ROOT = "io.contextgraph.";
    private static final Pattern BACKTICKED = Pattern.compile("`([a-z.]+)`");
    /** An import, or a qualified name in code, of one of our classes: the package is what precedes the class. */
    private static final Pattern OUR_TYPE =
            Pattern.compile("\\bio\\.contextgraph\\.((?:[a-z]\\w*\\.)*[a-z]\\w*)\\.[A-Z]");
    private static final Pattern IMPORT = Pattern.compile("^import (?:static )?([\\w.]+);", Pattern.MULTILINE);

    /** Package (relative to io.contextgraph) → the packages its row allows, or null for "everything". */
    private static Map<String, Set<String>> allowed;
    /** Package → the source text of its classes, comments and string literals removed. */
    private static Map<String, List<String>> code;

    @BeforeAll
    static void read() throws IOException {
        allowed = parseTable(Files.readString(DOC, StandardCharsets.UTF_8));
        code = readSources();
    }

    @Test
    void everyPackageIsInTheTableAndEveryRowIsAPackage() {
        assertThat(allowed.keySet()).as("rows of the table in " + DOC).containsExactlyInAnyOrderElementsOf(code.keySet());
    }

    @Test
    void everyReferenceToAnotherPackageIsOneItsRowAllows() {
        Map<String, Set<String>> unexpected = new TreeMap<>();
        used().forEach((from, targets) -> {
            Set<String> permitted = allowed.get(from);
            if (permitted == null) {
                return; // "everything"
            }
            for (String target : targets) {
                if (!permitted.contains(target)) {
                    unexpected.computeIfAbsent(from, p -> new TreeSet<>()).add(target);
                }
            }
        });
        assertThat(unexpected).as("package → what it uses that its row in " + DOC + " does not allow").isEmpty();
    }

    @Test
    void theAllowedDependenciesPointOneWay() {
        for (String start : allowed.keySet()) {
            assertThat(reachable(start)).as("packages that " + start + " may reach, through the table").doesNotContain(start);
        }
    }

    @Test
    void dataUsesTheJdkAndGuavaOnly() throws IOException {
        List<String> foreign = new ArrayList<>();
        try (Stream<Path> files = Files.list(SOURCES.resolve("data"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                Matcher m = IMPORT.matcher(Files.readString(file, StandardCharsets.UTF_8));
                while (m.find()) {
                    String name = m.group(1);
                    if (!name.startsWith("java.") && !name.startsWith("com.google.common.")
                            && !name.startsWith(ROOT + "data.")) {
                        foreign.add(file.getFileName() + ": " + name);
                    }
                }
            }
        }
        assertThat(foreign).isEmpty();
    }

    /**
     * docs/privacy.md: the URL rules look at the text of an address only, never resolving a name (a look-up would
     * tell a resolver which sites the donor browses). {@code java.net.URL} counts: its equals and hashCode resolve.
     */
    @Test
    void theDataRulesNeverResolveAName() {
        Pattern resolving = Pattern.compile("\\bInetAddress\\b|\\bInetSocketAddress\\b|\\bjava\\.net\\.URL\\b"
                + "|\\bnew URL\\(|\\.toURL\\(|\\bopenConnection\\(|\\bHttpClient\\b|\\bSocket\\b");
        List<String> found = new ArrayList<>();
        for (String text : code.get("data")) {
            Matcher m = resolving.matcher(text);
            while (m.find()) {
                found.add(m.group());
            }
        }
        assertThat(found).isEmpty();
    }

    /** What each package's code refers to in other packages of ours. */
    private static Map<String, Set<String>> used() {
        Map<String, Set<String>> used = new TreeMap<>();
        code.forEach((pkg, texts) -> {
            Set<String> targets = new TreeSet<>();
            for (String text : texts) {
                Matcher m = OUR_TYPE.matcher(text);
                while (m.find()) {
                    if (!m.group(1).equals(pkg)) {
                        targets.add(m.group(1));
                    }
                }
            }
            used.put(pkg, targets);
        });
        return used;
    }

    private static Set<String> reachable(String start) {
        Set<String> seen = new HashSet<>();
        List<String> todo = new ArrayList<>(permitted(start));
        while (!todo.isEmpty()) {
            String next = todo.removeLast();
            if (seen.add(next)) {
                todo.addAll(permitted(next));
            }
        }
        return seen;
    }

    /** What a row allows; "everything" is every other package. */
    private static Set<String> permitted(String pkg) {
        Set<String> row = allowed.get(pkg);
        if (row != null || !allowed.containsKey(pkg)) {
            return row == null ? Set.of() : row;
        }
        Set<String> others = new TreeSet<>(allowed.keySet());
        others.remove(pkg);
        return others;
    }

    /** Rows {@code | `pkg` | what | `dep`, `dep`, Library |} of the "Packages" table; "everything" allows all. */
    static Map<String, Set<String>> parseTable(String doc) {
        int start = doc.indexOf("## Packages");
        assertThat(start).as("a Packages section in " + DOC).isNotNegative();
        Map<String, Set<String>> rows = new LinkedHashMap<>();
        for (String line : doc.substring(start).lines().skip(1).takeWhile(l -> !l.startsWith("## ")).toList()) {
            if (!line.startsWith("| `")) {
                continue;
            }
            String[] cells = line.split("\\|", -1);
            String pkg = cells[1].strip().replace("`", "");
            String deps = cells[3].strip();
            Set<String> targets = null;
            if (!deps.equals("everything")) {
                targets = new TreeSet<>();
                Matcher m = BACKTICKED.matcher(deps);
                while (m.find()) {
                    targets.add(m.group(1));
                }
            }
            assertThat(rows.containsKey(pkg)).as("package listed twice: " + pkg).isFalse();
            rows.put(pkg, targets);
        }
        assertThat(rows).as("rows of the Packages table").hasSizeGreaterThanOrEqualTo(5);
        return rows;
    }

    private static Map<String, List<String>> readSources() throws IOException {
        Map<String, List<String>> sources = new TreeMap<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                String pkg = SOURCES.relativize(file.getParent()).toString().replace('/', '.');
                if (pkg.isEmpty()) {
                    continue; // classes directly in io.contextgraph, if any, are not a concern of their own
                }
                sources.computeIfAbsent(pkg, p -> new ArrayList<>()).add(withoutCommentsAndStrings(
                        Files.readString(file, StandardCharsets.UTF_8)));
            }
        }
        return sources;
    }

    /** Javadoc may name any class; a reference in code is what couples two packages. */
    private static String withoutCommentsAndStrings(String source) {
        return source.replaceAll("(?s)/\\*.*?\\*/", " ")
                .replaceAll("(?s)\"\"\".*?\"\"\"", "\"\"")
                .replaceAll("\"(?:\\\\.|[^\"\\\\\\n])*\"", "\"\"")
                .replaceAll("//[^\\n]*", "");
    }
}
