package io.contextgraph.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class StorageKeysTest {

    private static final LocalDate DAY = LocalDate.of(2025, 11, 24);
    private static final String PUNCTUATION = "!()*-._~";

    @Test
    void userPrefix() {
        assertThat(StorageKeys.userPrefix("3f2b8c1e-9d4a-4e6b-8f7a-2c1d0e9b8a76"))
                .isEqualTo("v1/sessions/user=3f2b8c1e-9d4a-4e6b-8f7a-2c1d0e9b8a76/");
    }

    @Test
    void uploadKey() {
        assertThat(StorageKeys.upload("abc", DAY, "01JDX8Q9-r_z"))
                .isEqualTo("v1/sessions/user=abc/date=2025-11-24/01JDX8Q9-r_z.json.gz");
    }

    @Test
    void uploadKeyStartsWithTheUserPrefix() {
        assertThat(StorageKeys.upload("abc", DAY, "x")).startsWith(StorageKeys.userPrefix("abc"));
    }

    @Test
    void dayIsAlwaysFourDigitYearAndTwoDigitMonthAndDay() {
        assertThat(StorageKeys.upload("abc", LocalDate.of(999, 1, 5), "x")).contains("/date=0999-01-05/");
        assertThat(StorageKeys.upload("abc", LocalDate.of(0, 1, 1), "x")).contains("/date=0000-01-01/");
        assertThat(StorageKeys.upload("abc", LocalDate.of(9999, 12, 31), "x")).contains("/date=9999-12-31/");
    }

    @Test
    void rejectsDaysThatIsoWouldWriteWithASign() {
        assertThatThrownBy(() -> StorageKeys.upload("abc", LocalDate.of(10000, 1, 1), "x"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> StorageKeys.upload("abc", LocalDate.of(-1, 1, 1), "x"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"ab", "a/b/c", "../../etc", "user secret", "abc/../../x"})
    void rejectsInvalidTokensWithoutNamingThem(String token) {
        assertThatThrownBy(() -> StorageKeys.userPrefix(token))
                .isInstanceOf(IllegalArgumentException.class)
                .message().doesNotContain("secret").doesNotContain("/");
        assertThatThrownBy(() -> StorageKeys.upload(token, DAY, "x"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"a", "Z", "0", "-", "_", "01JDX8Q9RZ-a_b",
        "0123456789012345678901234567890123456789012345678901234567890123"})  // 64
    void acceptsUploadIds(String id) {
        assertThat(StorageKeys.isValidUploadId(id)).isTrue();
        assertThat(StorageKeys.upload("abc", DAY, id)).endsWith("/" + id + ".json.gz");
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {".", "..", "a.b", "a/b", "../x", "a b", "a\\b", "ü", "a~b", "a*b", "a%2F",
        "01234567890123456789012345678901234567890123456789012345678901234"})  // 65
    void rejectsUploadIds(String id) {
        assertThat(StorageKeys.isValidUploadId(id)).isFalse();
        assertThatThrownBy(() -> StorageKeys.upload("abc", DAY, id)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void dotOnlyTokensAreValidButNeverABareDotSegment() {
        assertThat(UserToken.isValid("...")).isTrue();
        for (String token : punctuationTokens()) {
            String key = StorageKeys.upload(token, DAY, "-");
            String[] segments = key.split("/", -1);
            assertThat(segments).as(token).hasSize(5);
            assertThat(segments).as(token).doesNotContain(".", "..", "");
            assertThat(segments[2]).as(token).isEqualTo("user=" + token);
        }
    }

    @Test
    void aLocalFolderKeyResolvesInsideItsUserFolder() {
        Path base = Path.of("/srv/contextgraph-data");
        for (String token : punctuationTokens()) {
            Path userFolder = base.resolve("v1").resolve("sessions").resolve("user=" + token);
            Path object = base.resolve(StorageKeys.upload(token, DAY, "-")).normalize();
            assertThat(object).as(token).startsWithRaw(userFolder);
            assertThat(base.resolve(StorageKeys.userPrefix(token)).normalize()).as(token).isEqualTo(userFolder);
        }
    }

    @Test
    void s3PrefixesOfDifferentUsersNeverContainEachOther() {
        // S3 keys are flat strings: "user=.../" is a prefix like any other, and the trailing "/"
        // keeps "user=abc/" from matching the objects of "user=abcd/".
        List<String> tokens = List.of("...", "..~", "abc", "abcd", "abc.", ".abc", "ABC", "~~~");
        for (String a : tokens) {
            for (String b : tokens) {
                if (!a.equals(b)) {
                    assertThat(StorageKeys.upload(b, DAY, "x")).as(a + " vs " + b)
                            .doesNotStartWith(StorageKeys.userPrefix(a));
                }
            }
        }
    }

    /** Every 3-character token made of punctuation only, and the longest dot-only token. */
    private static List<String> punctuationTokens() {
        List<String> tokens = new ArrayList<>();
        for (char a : PUNCTUATION.toCharArray()) {
            for (char b : PUNCTUATION.toCharArray()) {
                for (char c : PUNCTUATION.toCharArray()) {
                    tokens.add("" + a + b + c);
                }
            }
        }
        tokens.add(".".repeat(UserToken.MAX_LENGTH));
        return tokens;
    }

    @Test
    void theUploadIdIsReadBackFromAKey() {
        String id = "1796146946435-000007-AAAAAAAAAAAAAAAAAAAAAA";
        String key = StorageKeys.upload("abc", LocalDate.of(2026, 12, 1), id);
        assertThat(StorageKeys.uploadIdOf(key)).contains(id);
        assertThat(StorageKeys.uploadIdOf("v1/sessions/user=abc/notes.txt")).isEmpty();
        assertThat(StorageKeys.uploadIdOf("v1/sessions/user=abc/date=x/a.b.json.gz")).isEmpty();
    }
}
