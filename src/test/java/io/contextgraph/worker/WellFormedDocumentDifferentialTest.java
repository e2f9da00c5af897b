package io.contextgraph.worker;

import io.contextgraph.api.PlainJsonFormat;
import io.contextgraph.document.MalformedDocumentException;
import io.contextgraph.document.UploadDocument;
import io.contextgraph.testing.FuzzSeed;
import io.contextgraph.testing.HostileBodies;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The web role's check and the worker's parser give the same verdict on every body: a 200 is never followed by a parse
 * failure, and nothing the worker could parse is refused. The random part is seeded; a failure names its seed, and
 * {@code -Dfuzz.seed=<seed>} (e.g. {@code mvn verify -Dtest=WellFormedDocumentDifferentialTest -Dfuzz.seed=42}) replays it.
 */
class WellFormedDocumentDifferentialTest {
    private static final int RANDOM_CASES = 5_000;
    private final PlainJsonFormat web = new PlainJsonFormat();
    private final UploadParser worker = new UploadParser();

    @Test
    void hostileCorpusGetsTheSameVerdictFromBothRoles() {
        List<byte[]> corpus = hostileCorpus();
        int accepted = 0;
        for (byte[] body : corpus) {
            accepted += sameVerdict(body, "corpus case " + describe(body)) ? 1 : 0;
        }
        assertThat(accepted).as("the corpus has accepted cases too").isBetween(1, corpus.size() - 1);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    @ExtendWith(FuzzSeed.class) // names the seed on a timeout too
    void randomBodiesGetTheSameVerdictFromBothRoles(long seed) {
        HostileBodies bodies = new HostileBodies(seed);
        for (int i = 0; i < RANDOM_CASES; i++) {
            byte[] body = bodies.next();
            sameVerdict(body, "seed " + seed + " (replay with -Dfuzz.seed=" + seed + "), case " + i + " " + describe(body));
        }
    }

    /** Whether both accepted; fails when they disagree or either throws anything but its declared refusal. */
    private boolean sameVerdict(byte[] body, String what) {
        String webVerdict;
        try {
            web.check(body);
            webVerdict = null;
        } catch (RuntimeException | Error e) {
            return fail("web check threw " + e + " on " + what, e);
        } catch (Exception refused) {
            webVerdict = refused.getMessage();
        }
        String workerVerdict;
        try {
            worker.sessions(body);
            workerVerdict = null;
        } catch (MalformedDocumentException refused) {
            workerVerdict = refused.getMessage();
        } catch (RuntimeException | Error e) {
            return fail("worker parser threw " + e + " on " + what, e);
        }
        if ((webVerdict == null) != (workerVerdict == null)) {
            fail("web: " + (webVerdict == null ? "accepted" : webVerdict) + ", worker: "
                    + (workerVerdict == null ? "parsed" : workerVerdict) + " on " + what);
        }
        return webVerdict == null;
    }

    private static List<byte[]> hostileCorpus() {
        List<String> texts = new ArrayList<>(List.of(
                "{}", "{\"sessions\":[]}", " \t\r\n{\"sessions\":[{\"url\":\"https://example.com/\",\"start_time\":1}]}\n",
                // duplicate keys, at the top, in a session, deep down; names that only look alike are distinct
                "{\"sessions\":[],\"sessions\":[]}", "{\"sessions\":[{\"url\":\"a\",\"url\":\"b\"}]}",
                "{\"a\":{\"b\":{\"c\":1,\"c\":1}}}", "{\"a\":1,\"\\u0061\":2}", "{\"a\":1,\"A\":2}",
                "{\"a\":{\"x\":1},\"b\":{\"x\":1}}",
                // numbers at and past the length limit, huge exponents, forms JSON does not allow
                "{\"a\":" + "9".repeat(UploadDocument.MAX_NUMBER_LENGTH) + "}",
                "{\"a\":" + "9".repeat(UploadDocument.MAX_NUMBER_LENGTH + 1) + "}",
                "{\"a\":-" + "9".repeat(UploadDocument.MAX_NUMBER_LENGTH) + "}",
                "{\"a\":1." + "5".repeat(UploadDocument.MAX_NUMBER_LENGTH) + "}",
                "{\"a\":1e999999999}", "{\"a\":-1e-999999999}", "{\"a\":9223372036854775808}",
                "{\"a\":NaN}", "{\"a\":-Infinity}", "{\"a\":Infinity}", "{\"a\":01}", "{\"a\":+1}", "{\"a\":.5}",
                "{\"a\":1.}", "{\"a\":0x10}", "{\"a\":-}", "{\"a\":1e}",
                // nesting at and past the limit
                "{\"a\":" + "[".repeat(UploadDocument.MAX_DEPTH - 1) + "]".repeat(UploadDocument.MAX_DEPTH - 1) + "}",
                "{\"a\":" + "[".repeat(UploadDocument.MAX_DEPTH) + "]".repeat(UploadDocument.MAX_DEPTH) + "}",
                "{\"a\":" + "{\"a\":".repeat(UploadDocument.MAX_DEPTH) + "1" + "}".repeat(UploadDocument.MAX_DEPTH) + "}",
                "{\"a\":" + "[".repeat(100_000),
                // huge strings and names
                "{\"a\":\"" + "x".repeat(3 << 20) + "\"}", "{\"" + "n".repeat(100_000) + "\":1}",
                "{\"a\":\"" + "\\u00e9".repeat(200_000) + "\"}",
                // strings JSON does not allow, escapes it does
                "{\"a\":\"\u0001\"}", "{\"a\":\"tab\there\"}", "{\"a\":\"\\x41\"}", "{\"a\":\"\\ud800\"}",
                "{\"a\":\"\\udc00\\ud800\"}", "{\"a\":\"\\u12\"}", "{\"a\":'single'}", "{'a':1}", "{a:1}",
                // comments, trailing commas, garbage after the object, other roots
                "/* c */{}", "{} // c", "{\"a\":1 /* c */}", "# c\n{}", "{\"a\":1,}", "{\"a\":[1,]}", "{,}",
                "{} {}", "{}x", "{}]", "{}}", "{}\u0000", "[]", "[{}]", "\"text\"", "42", "null", "true", "",
                " ", "{", "}", "{\"a\"}", "{\"a\":}", "{\"a\" 1}", "{\"a\":1\"b\":2}", "{\"a\":tru}",
                "{\"a\":nul}", "{\"a\":True}", "\u0000{}", "{\u0000}"));
        List<byte[]> corpus = new ArrayList<>(texts.stream().map(t -> t.getBytes(StandardCharsets.UTF_8)).toList());
        HexFormat hex = HexFormat.of();
        for (String bytes : List.of(
                "efbbbf7b7d",                 // UTF-8 byte order mark, then {}
                "efbbbfefbbbf7b7d",           // two of them
                "feff007b007d",               // UTF-16BE with its BOM
                "fffe7b007d00",               // UTF-16LE with its BOM
                "7b002200610022003a0031007d00", // UTF-16LE without BOM
                "0000007b0000007d",           // UTF-32BE
                "7b2261223a2280227d",         // {"a":"<lone continuation byte>"}
                "7b2261223a22c0af227d",       // overlong '/'
                "7b2261223a22eda080227d",     // an encoded surrogate (CESU-8)
                "7b2261223a22f4908080227d",   // beyond U+10FFFF
                "7b2261223a22e282227d",       // truncated sequence
                "7b2261223a22f8888080227d",   // five-byte form
                "7b22c0af223a317d",           // overlong in a name
                "7b7d80",                     // invalid byte after the object
                "7b2261223a22f09f9880227d",   // a valid emoji
                "7b2261223a22c3a9227d")) {    // a valid é
            corpus.add(hex.parseHex(bytes));
        }
        byte[] nearLimit = ("{\"a\":\"" + "y".repeat(UploadDocument.MAX_BYTES - 10) + "\"}").getBytes(StandardCharsets.UTF_8);
        corpus.add(nearLimit);
        return corpus;
    }

    private static String describe(byte[] body) {
        return "(" + body.length + " bytes: " + HexFormat.of().formatHex(body, 0, Math.min(body.length, 120)) + ")";
    }
}
