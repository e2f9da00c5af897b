package io.contextgraph.queue;

import static org.assertj.core.api.Assertions.assertThat;

import io.contextgraph.data.StorageKeys;
import java.security.SecureRandom;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class UploadIdsTest {

    @Test
    void randomPartsAreDistinctBase64UrlOf128Bits() {
        UploadIds ids = new UploadIds();
        Set<String> seen = new HashSet<>();
        for (int batch = 1; batch <= 200; batch++) {
            for (String part : ids.nextRandomParts(batch % 130 + 1)) {
                assertThat(part).matches("[A-Za-z0-9_-]{22}");
                assertThat(seen.add(part)).as("unique").isTrue();
            }
        }
        assertThat(seen).hasSizeGreaterThan(10_000);
    }

    @Test
    void theOrderIsReadBackFromAnId() {
        String id = "1796146946435-000007-" + new UploadIds(new SecureRandom()).nextRandomParts(1)[0];
        assertThat(StorageKeys.isValidUploadId(id)).isTrue();
        assertThat(UploadIds.order(id)).contains("1796146946435-7");
        assertThat(UploadIds.order("q3Vb0q3Vb0q3Vb0q3Vb0q3")).isEmpty();
        assertThat(UploadIds.order("1796146946435-000007-short")).isEmpty();
    }

    @Test
    void aDeleteRemovesOnlyWhatWasAcceptedBeforeIt() {
        String random = "AAAAAAAAAAAAAAAAAAAAAA";
        String id = "1796146946435-000007-" + random;
        assertThat(UploadIds.acceptedBefore(id, "1796146946435-8")).isTrue();
        assertThat(UploadIds.acceptedBefore(id, "1796146946436-0")).isTrue();
        assertThat(UploadIds.acceptedBefore(id, "1796146946435-7")).isFalse();
        assertThat(UploadIds.acceptedBefore(id, "1796146946435-6")).isFalse();
        assertThat(UploadIds.acceptedBefore(id, "1796146946434-999999")).isFalse();
        // An id from before orders existed was accepted before every delete that has one.
        assertThat(UploadIds.acceptedBefore(random, "1-0")).isTrue();
    }

    @Test
    void idsSortAsTheyWereAccepted() {
        String random = "zzzzzzzzzzzzzzzzzzzzzz";
        assertThat("1796146946435-000010-" + "AAAAAAAAAAAAAAAAAAAAAA")
                .isGreaterThan("1796146946435-000009-" + random)
                .isLessThan("1796146946436-000000-" + "AAAAAAAAAAAAAAAAAAAAAA");
    }
}
