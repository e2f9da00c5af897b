package io.contextgraph.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.contextgraph.testing.Http;
import io.contextgraph.testing.RoleProcess;
import io.contextgraph.testing.Uploads;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * docs/data.md stays true: a real standalone (the jar) stores real uploads under ./data; every stored object is one
 * NDJSON line that the JSON Schema in docs/schema accepts; nothing but uploads lives under data/; and every DuckDB
 * query and every jq command between the doc's markers runs over that ./data and finds the uploads.
 */
class DataRecipesIT {
    private static final Path BASEDIR = Path.of(System.getProperty("cg.basedir", ".")).toAbsolutePath();
    private static final Duration START = Duration.ofSeconds(90);
    private static final Pattern SQL_BLOCK = Pattern.compile("```sql\\n(.*?)```", Pattern.DOTALL);
    private static final Pattern SH_BLOCK = Pattern.compile("```sh\\n(.*?)```", Pattern.DOTALL);
    private static final Pattern DAY_FOLDER = Pattern.compile("date=\\d{4}-\\d{2}-\\d{2}");

    @TempDir
    static Path cwd;

    private static final String MARKER = "recipe" + Uploads.newUser();
    private static final List<String> USERS = List.of(Uploads.newUser(), Uploads.newUser(), "12345");

    /** One real standalone stores three uploads (five sessions, two domains) under ./data, then stops. */
    @BeforeAll
    static void storeUploads() throws Exception {
        long now = Instant.now().getEpochSecond();
        List<byte[]> bodies = List.of(
                Uploads.withMarker(MARKER),
                Uploads.sessions(3),
                // No duration and no tab: stored as 0 and absent.
                ("{\"sessions\":[{\"url\":\"https://example.org/a\",\"start_time\":" + now + "}]}")
                        .getBytes(StandardCharsets.UTF_8));
        try (RoleProcess standalone = RoleProcess.builder("standalone").name("standalone-data").directory(cwd).start()) {
            standalone.awaitHttp(START).awaitLog("standalone.started", START);
            for (int i = 0; i < USERS.size(); i++) {
                assertThat(Http.post(standalone.uri("/v1/upload"), USERS.get(i), bodies.get(i),
                        "Content-Type", "application/json").statusCode()).isEqualTo(200);
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> objects().size() == USERS.size());
        }
    }

    @Test
    void storedObjectsMatchTheSchemaAndTheDuckDbRecipesReadThem() throws Exception {
        List<String> users = USERS;
        String marker = MARKER;
        Schema schema = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
                .getSchema(Files.readString(BASEDIR.resolve("docs/schema/stored-upload.schema.json")));
        for (Path object : objects()) {
            String json = gunzip(object);
            assertThat(json).as("one NDJSON line").endsWith("}\n").hasLineCount(1);
            List<Error> errors = schema.validate(json, InputFormat.JSON);
            assertThat(errors).as(json).isEmpty();
        }
        // The schema is strict enough to notice a change of the stored shape.
        String sample = gunzip(objects().getFirst());
        assertThat(schema.validate(sample.replace("\"sessions\"", "\"extra\":1,\"sessions\""), InputFormat.JSON))
                .isNotEmpty();
        assertThat(schema.validate(sample.replaceFirst("\"accepted_at\":(\\d+)", "\"accepted_at\":\"$1\""),
                InputFormat.JSON)).isNotEmpty();

        try (Stream<Path> all = Files.walk(cwd.resolve("data"))) {
            assertThat(all.filter(Files::isRegularFile).map(cwd::relativize).map(Path::toString))
                    .as("data/** holds uploads only (the embedded Redis lives in data-state/)")
                    .allMatch(name -> name.startsWith("data/v1/sessions/") && name.endsWith(".json.gz"));
        }

        List<String> queries = duckDbRecipes();
        assertThat(queries).hasSizeGreaterThanOrEqualTo(3);
        String today = LocalDate.now(ZoneOffset.UTC).toString();
        List<String> results = new ArrayList<>();
        try (Connection duckdb = DriverManager.getConnection("jdbc:duckdb:");
             Statement statement = duckdb.createStatement()) {
            // The recipes use paths relative to the folder holding ./data, as a person runs them there.
            statement.execute("SET file_search_path = '" + cwd + "'");
            statement.execute("SET TimeZone = 'UTC'");
            for (String query : queries) {
                String rows = rows(statement, query);
                assertThat(rows).as(query).isNotEmpty();
                results.add(rows);
            }
        }
        assertThat(results.get(0)).as("per day").contains(today + " | 3 | 3 | 5");
        assertThat(results.get(1)).as("per session").contains(marker, "12345", users.get(0))
                .contains("https://example.org/a | null");
        assertThat(results.get(2)).as("per domain").contains("www.mozilla.org | 2 | 4", "example.org | 1 | 1");
    }

    /**
     * Every jq recipe of docs/data.md, run as written by bash with the real {@code jq} from the folder holding ./data,
     * prints what was uploaded: one line per session with its upload's fields, the counts of the day the uploads were
     * accepted (and zeros on a day without any), and the sessions per domain.
     */
    @Test
    void theJqRecipesPrintTheStoredUploads() throws Exception {
        List<String> recipes = jqRecipes();
        assertThat(recipes).hasSize(3);
        ObjectMapper json = new ObjectMapper();

        String day = acceptedDay();
        List<JsonNode> perSession = new ArrayList<>();
        for (String line : run(recipes.get(0)).lines().toList()) {
            perSession.add(json.readTree(line));
        }
        assertThat(perSession).hasSize(5).allSatisfy(row -> {
            assertThat(row.path("accepted_at").isIntegralNumber()).as(row.toString()).isTrue();
            assertThat(row.path("start_time").isIntegralNumber()).as(row.toString()).isTrue();
            assertThat(cwd.resolve("data/v1/sessions/user=" + row.path("user").asText() + "/date=" + day + "/"
                    + row.path("upload_id").asText() + ".json.gz")).as("the row names its stored object").isRegularFile();
        });
        assertThat(perSession).map(row -> row.path("user").asText() + " " + row.path("url").asText()).containsExactlyInAnyOrder(
                USERS.get(0) + " https://www.mozilla.org/en-US/?m=" + MARKER,
                USERS.get(1) + " https://www.mozilla.org/en-US/firefox/page0",
                USERS.get(1) + " https://www.mozilla.org/en-US/firefox/page1",
                USERS.get(1) + " https://www.mozilla.org/en-US/firefox/page2",
                USERS.get(2) + " https://example.org/a");
        assertThat(perSession).filteredOn(row -> row.path("user").asText().equals(USERS.get(2))).singleElement()
                .satisfies(row -> {
                    assertThat(row.path("duration").asLong()).isZero();
                    assertThat(row.has("tab_id")).isFalse();
                });
        assertThat(perSession).filteredOn(row -> row.path("user").asText().equals(USERS.get(0))).singleElement()
                .satisfies(row -> {
                    assertThat(row.path("duration").asLong()).isEqualTo(2400);
                    assertThat(row.path("tab_id").asText()).isEqualTo("-31-2");
                });

        assertThat(json.readTree(run(onDay(recipes.get(1), day))))
                .isEqualTo(json.readTree("{\"uploads\":3,\"donors\":3,\"sessions\":5}"));
        assertThat(json.readTree(run(onDay(recipes.get(1), "2000-01-01"))))
                .as("a day without uploads").isEqualTo(json.readTree("{\"uploads\":0,\"donors\":0,\"sessions\":0}"));

        assertThat(run(recipes.get(2)).lines().map(String::strip).toList())
                .containsExactly("4 www.mozilla.org", "1 example.org");
    }

    /** The commands of the sh block between the jq markers of docs/data.md, each under its comment line. */
    static List<String> jqRecipes() throws IOException {
        Matcher block = SH_BLOCK.matcher(markedSection("jq"));
        assertThat(block.find()).as("an sh block between the jq markers").isTrue();
        List<String> recipes = new ArrayList<>();
        for (String recipe : block.group(1).strip().split("\n\\s*\n")) {
            String command = recipe.lines().filter(line -> !line.startsWith("#")).collect(Collectors.joining("\n"));
            assertThat(command).as(recipe).contains("jq ");
            recipes.add(command);
        }
        return recipes;
    }

    /** The recipe with the day it filters on replaced by {@code day}. */
    private static String onDay(String recipe, String day) {
        assertThat(recipe).containsPattern(DAY_FOLDER);
        return DAY_FOLDER.matcher(recipe).replaceAll("date=" + day);
    }

    /** The UTC day of the stored uploads (all accepted on one day by the standalone). */
    private static String acceptedDay() throws IOException {
        List<String> days = objects().stream().map(object -> object.getParent().getFileName().toString()).distinct()
                .toList();
        assertThat(days).singleElement().asString().startsWith("date=");
        return days.getFirst().substring("date=".length());
    }

    /** Runs {@code command} with bash from the folder holding ./data, as a person pastes it; its stdout. */
    private static String run(String command) throws Exception {
        Process process = new ProcessBuilder("bash", "-c", "set -euo pipefail\n" + command).directory(cwd.toFile())
                .redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(command + "\n" + out).isZero();
        return out;
    }

    /** The part of docs/data.md between {@code <!-- name:begin -->} and {@code <!-- name:end -->}. */
    private static String markedSection(String name) throws IOException {
        String doc = Files.readString(BASEDIR.resolve("docs/data.md"));
        int begin = doc.indexOf("<!-- " + name + ":begin -->");
        int end = doc.indexOf("<!-- " + name + ":end -->");
        assertThat(begin).as("docs/data.md marks its " + name + " recipes").isNotNegative();
        assertThat(end).as("docs/data.md ends its " + name + " recipes").isGreaterThan(begin);
        return doc.substring(begin, end);
    }

    /** Every SQL block between the duckdb markers of docs/data.md. */
    static List<String> duckDbRecipes() throws IOException {
        Matcher blocks = SQL_BLOCK.matcher(markedSection("duckdb"));
        List<String> queries = new ArrayList<>();
        while (blocks.find()) {
            queries.add(blocks.group(1).strip().replaceAll(";$", ""));
        }
        return queries;
    }

    private static String rows(Statement statement, String query) throws Exception {
        StringBuilder out = new StringBuilder();
        try (ResultSet rows = statement.executeQuery(query)) {
            int columns = rows.getMetaData().getColumnCount();
            while (rows.next()) {
                for (int i = 1; i <= columns; i++) {
                    out.append(i > 1 ? " | " : "").append(rows.getString(i));
                }
                out.append('\n');
            }
        }
        return out.toString();
    }

    private static List<Path> objects() throws IOException {
        Path root = cwd.resolve("data/v1/sessions");
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".json.gz")).sorted().toList();
        }
    }

    private static String gunzip(Path object) throws IOException {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(object))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
