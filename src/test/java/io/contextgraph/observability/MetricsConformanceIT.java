package io.contextgraph.observability;

import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.JWEObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.RSAEncrypter;
import io.contextgraph.crypto.PublicJwk;
import io.contextgraph.testing.Http;
import io.contextgraph.testing.RedisServer;
import io.contextgraph.testing.RoleProcess;
import io.contextgraph.testing.S3ProxyServer;
import io.contextgraph.testing.StatsdSink;
import io.contextgraph.testing.Uploads;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What operators' dashboards rely on: every DogStatsD line a web and a worker send during a scripted session is a
 * metric of {@code docs/metrics.md} with documented tags, and every metric (and listed tag value) of the doc is
 * sent. Uploads are encrypted (PUBLIC_KEY/PRIVATE_KEY) so that the worker's json and encryption errors can happen.
 */
class MetricsConformanceIT {
    private static final Path DOC = Path.of(System.getProperty("cg.basedir", "."), "docs", "metrics.md");
    private static final Pattern LINE = Pattern.compile("([^:|#]+):(-?[0-9.]+|NaN)\\|(c|g|ms|h)(?:\\|#([^|]*))?(?:\\|(?:c|e|card):[^|]*)*");
    private static final Pattern BACKTICKED = Pattern.compile("`([^`]*)`");
    private static final String BUCKET = "cg-metrics";
    private static final Duration WAIT = Duration.ofSeconds(30);
    /**
     * Checked against the doc when sent, not required: the first needs a versioned bucket, which S3Proxy does not
     * offer; the second more than one queue shard (the session runs on one).
     */
    private static final Set<String> NOT_IN_SESSION = Set.of("data.user.delete.versions|c|", "queue.length|g|shard");

    /**
     * One row of the doc's table: a metric name and type, and each tag key with its allowed values ("*": any). One
     * name and type may have several rows with different tag keys (a total, and the same per shard).
     */
    record Documented(String name, String type, Map<String, Set<String>> tags) {
        String key() {
            return key(name, type, tags.keySet());
        }

        static String key(String name, String type, Set<String> tagKeys) {
            return name + "|" + type + "|" + String.join(",", new TreeSet<>(tagKeys));
        }
    }

    /** One received line. */
    record Received(String line, String name, String value, String type, Map<String, String> tags) {
    }

    @Test
    void theDocListsExactlyWhatTheRolesSend() throws Exception {
        Map<String, Documented> documented = parseDoc();
        assertThat(documented).as("rows parsed from docs/metrics.md").hasSizeGreaterThanOrEqualTo(10);
        KeyPair service = rsa();
        KeyPair other = rsa();
        RSAPublicKey servicePublic = (RSAPublicKey) service.getPublic();
        List<String> lines;
        try (StatsdSink statsd = new StatsdSink();
             RedisServer redis = new RedisServer();
             S3ProxyServer s3 = S3ProxyServer.startFilesystem()) {
            s3.createBucket(BUCKET);
            try (RoleProcess web = role("web", statsd, redis).env("PUBLIC_KEY", pemEnv("PUBLIC KEY", service.getPublic().getEncoded()))
                         .start().awaitHttp(Duration.ofSeconds(60));
                 RoleProcess worker = role("worker", statsd, redis)
                         .env("PRIVATE_KEY", pemEnv("PRIVATE KEY", service.getPrivate().getEncoded()))
                         .env("S3_BUCKET", BUCKET).env("S3_ENDPOINT", s3.endpoint().toString())
                         .env("QUEUE_VISIBILITY_TIMEOUT", "3s").env("QUEUE_RETRY_DELAY", "200ms")
                         .env("DEAD_LETTER_RETENTION", "2s")
                         .start().awaitLog("worker started", Duration.ofSeconds(60))) {
                String kept = Uploads.newUser();
                upload(web, kept, jwe(servicePublic, Uploads.sessions(2)));
                awaitLine(statsd, "data.session.new:2|c");
                awaitLine(statsd, "data.user.new:1|c");

                // One session kept, two dropped (a loopback address is never public), one of them twice the same URL.
                upload(web, Uploads.newUser(), jwe(servicePublic, document("https://www.mozilla.org/en-US/",
                        "http://127.0.0.1/admin", "http://127.0.0.1/admin")));
                awaitLine(statsd, "data.session.drop:2|c");
                awaitLine(statsd, "data.url.drop:1|c");

                upload(web, Uploads.newUser(), jwe(servicePublic, document("http://127.0.0.1/only")));
                awaitLine(statsd, "data.upload.error:1|c|#reason:validation");

                upload(web, Uploads.newUser(), gzip(jwe(servicePublic, Uploads.sessions(1)).getBytes(StandardCharsets.US_ASCII)),
                        "Content-Encoding", "gzip");
                upload(web, Uploads.newUser(), jwe(servicePublic, "this is not JSON".getBytes(StandardCharsets.UTF_8)));
                awaitLine(statsd, "data.upload.error:1|c|#reason:json");
                upload(web, Uploads.newUser(), jwe((RSAPublicKey) other.getPublic(), Uploads.sessions(1)));
                awaitLine(statsd, "data.upload.error:1|c|#reason:encryption");
                awaitLine(statsd, "queue.dead_letters.expired:1|c"); // that upload was parked, then expired
                // Encrypted to the kid of another key: the web's PUBLIC_KEY is not the pair of the worker's PRIVATE_KEY.
                upload(web, Uploads.newUser(), jwe(new JWEHeader.Builder(JWEAlgorithm.RSA_OAEP_256, EncryptionMethod.A256GCM)
                        .keyID(PublicJwk.thumbprint((RSAPublicKey) other.getPublic())).build(),
                        (RSAPublicKey) other.getPublic(), Uploads.sessions(1)));
                awaitLine(statsd, "data.upload.error:1|c|#reason:key");

                s3.stop();
                upload(web, Uploads.newUser(), jwe(servicePublic, Uploads.sessions(1)));
                awaitLine(statsd, "data.upload.error:1|c|#reason:storage");
                s3.start();

                assertThat(Http.post(web.uri("/v1/delete"), kept, new byte[0]).statusCode()).isEqualTo(200);
                awaitLine(statsd, "data.user.delete:1|c");
                awaitLine(statsd, "data.user.delete.objects:1|c");

                assertThat(Http.post(web.uri("/v1/upload"), null, new byte[]{'{', '}'}).statusCode()).isEqualTo(400);
                assertThat(Http.get(web.uri("/v1/upload")).statusCode()).isEqualTo(405);
                assertThat(Http.get(web.uri("/no/such/page")).statusCode()).isEqualTo(404);
                assertThat(Http.get(web.uri("/")).statusCode()).isEqualTo(200);
                assertThat(Http.get(web.uri("/v1/jwk")).statusCode()).isEqualTo(200);
                assertThat(Http.get(web.uri("/v1/stats")).statusCode()).isEqualTo(200);
                // Health checks and robots.txt are not counted: they must not show up at all.
                Http.get(web.uri("/__heartbeat__"));
                Http.get(web.uri("/__lbheartbeat__"));
                Http.get(web.uri("/__version__"));
                Http.get(web.uri("/robots.txt"));
                awaitLine(statsd, "request:1|c|#method:get,path:v1.stats,status:200");
                awaitLine(statsd, "queue.length:");
                awaitLine(statsd, "task:");
            }
            lines = statsd.lines();
        }

        List<Received> received = lines.stream().map(MetricsConformanceIT::parseLine).toList();
        Map<String, Set<String>> seenTagValues = new LinkedHashMap<>();
        for (Received line : received) {
            Documented doc = documented.get(Documented.key(line.name(), line.type(), line.tags().keySet()));
            assertThat(doc).as("undocumented metric: " + line.line()).isNotNull();
            assertThat(line.tags().keySet()).as("tags of " + line.line()).isEqualTo(doc.tags().keySet());
            line.tags().forEach((key, value) -> {
                Set<String> allowed = doc.tags().get(key);
                assertThat(allowed.contains("*") || allowed.contains(value))
                        .as("undocumented value of tag " + key + " in " + line.line()).isTrue();
                seenTagValues.computeIfAbsent(doc.key() + "|" + key, k -> new TreeSet<>()).add(value);
            });
            if (line.type().equals("c")) {
                assertThat(Double.parseDouble(line.value())).as("zero-valued counter: " + line.line()).isPositive();
            }
        }
        Set<String> seen = new TreeSet<>();
        received.forEach(line -> seen.add(Documented.key(line.name(), line.type(), line.tags().keySet())));
        for (Documented doc : documented.values()) {
            if (NOT_IN_SESSION.contains(doc.key())) {
                continue;
            }
            assertThat(seen).as("documented metric never sent in the session").contains(doc.key());
            doc.tags().forEach((key, values) -> values.stream().filter(v -> !v.equals("*")).forEach(value ->
                    assertThat(seenTagValues.getOrDefault(doc.key() + "|" + key, Set.of()))
                            .as("documented value " + key + ":" + value + " of " + doc.key() + " never sent")
                            .contains(value)));
        }
        assertThat(lines).as("health checks are not counted")
                .noneMatch(line -> line.contains("heartbeat") || line.contains("robots") || line.contains("version"));
        assertThat(lines).map(StatsdSink::withSortedTags).contains("request:1|c|#method:get,path:v1.upload,status:405",
                "request:1|c|#method:get,path:unknown,status:404",
                "request:1|c|#method:post,path:v1.upload,status:400");
    }

    private static RoleProcess.Builder role(String role, StatsdSink statsd, RedisServer redis) {
        return RoleProcess.builder(role).name("metrics-" + role).redis(redis.port())
                .env("STATSD_HOST", statsd.host()).env("STATSD_PORT", Integer.toString(statsd.port()));
    }

    private static void upload(RoleProcess web, String user, String jwe) {
        upload(web, user, jwe.getBytes(StandardCharsets.US_ASCII));
    }

    private static void upload(RoleProcess web, String user, byte[] body, String... headers) {
        List<String> all = new ArrayList<>(List.of("Content-Type", "text/plain"));
        all.addAll(List.of(headers));
        URI uri = web.uri("/v1/upload");
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).header("X-User", user)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        request.headers(all.toArray(String[]::new));
        assertThat(Http.send(request).statusCode()).as("upload accepted").isEqualTo(200);
    }

    private static void awaitLine(StatsdSink statsd, String prefix) {
        assertThat(statsd.awaitLine(line -> StatsdSink.withSortedTags(line).startsWith(prefix), WAIT))
                .as("a line starting with " + prefix + " among " + statsd.lines()).isPresent();
    }

    static Received parseLine(String line) {
        Matcher m = LINE.matcher(line);
        assertThat(m.matches()).as("DogStatsD line shape: " + line).isTrue();
        Map<String, String> tags = new LinkedHashMap<>();
        if (m.group(4) != null) {
            for (String tag : m.group(4).split(",")) {
                int colon = tag.indexOf(':');
                assertThat(colon).as("tag key:value in " + line).isPositive();
                tags.put(tag.substring(0, colon), tag.substring(colon + 1));
            }
        }
        return new Received(line, m.group(1), m.group(2), m.group(3), tags);
    }

    /** The table rows of docs/metrics.md: | `name` | `type` | role | `key`: `v`, `v`; `key`: `*` | when |. */
    static Map<String, Documented> parseDoc() throws IOException {
        Map<String, Documented> rows = new LinkedHashMap<>();
        for (String row : Files.readAllLines(DOC, StandardCharsets.UTF_8)) {
            if (!row.startsWith("| `")) {
                continue;
            }
            String[] cells = row.split("\\|", -1);
            String name = unquote(cells[1]);
            String type = unquote(cells[2]);
            Map<String, Set<String>> tags = new LinkedHashMap<>();
            String tagCell = cells[4].strip();
            if (!tagCell.isEmpty()) {
                for (String tag : tagCell.split(";")) {
                    String[] keyAndValues = tag.split(":", 2);
                    Set<String> values = new TreeSet<>();
                    Matcher v = BACKTICKED.matcher(keyAndValues[1]);
                    while (v.find()) {
                        values.add(v.group(1));
                    }
                    tags.put(unquote(keyAndValues[0]), values);
                }
            }
            Documented doc = new Documented(name, type, tags);
            assertThat(rows.put(doc.key(), doc)).as("metric listed twice: " + doc.key()).isNull();
        }
        return rows;
    }

    private static String unquote(String cell) {
        return cell.strip().replace("`", "");
    }

    private static byte[] document(String... urls) {
        long now = Instant.now().getEpochSecond();
        StringBuilder json = new StringBuilder("{\"sessions\":[");
        for (int i = 0; i < urls.length; i++) {
            json.append(i > 0 ? "," : "").append("{\"url\":\"").append(urls[i]).append("\",\"start_time\":")
                    .append(now - i).append(",\"duration\":1500,\"tab_id\":\"-31-2\"}");
        }
        return json.append("]}").toString().getBytes(StandardCharsets.UTF_8);
    }

    private static String jwe(RSAPublicKey key, byte[] plaintext) {
        return jwe(new JWEHeader(JWEAlgorithm.RSA_OAEP_256, EncryptionMethod.A256GCM), key, plaintext);
    }

    private static String jwe(JWEHeader header, RSAPublicKey key, byte[] plaintext) {
        JWEObject jwe = new JWEObject(header, new Payload(plaintext));
        try {
            jwe.encrypt(new RSAEncrypter(key));
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
        return jwe.serialize();
    }

    private static byte[] gzip(byte[] bytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(bytes);
        }
        return out.toByteArray();
    }

    private static KeyPair rsa() throws NoSuchAlgorithmException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        return generator.generateKeyPair();
    }

    /** What an operator puts in PUBLIC_KEY / PRIVATE_KEY: base64 of the PEM text. */
    private static String pemEnv(String label, byte[] der) {
        String pem = "-----BEGIN " + label + "-----\n" + Base64.getMimeEncoder(64, new byte[]{'\n'}).encodeToString(der)
                + "\n-----END " + label + "-----\n";
        return Base64.getEncoder().encodeToString(pem.getBytes(StandardCharsets.US_ASCII));
    }
}
