package io.contextgraph.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.SecureRandom;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class UploadIdsTest {

    @Test
    void idsAreDistinctBase64UrlOf128Bits() {
        UploadIds ids = new UploadIds();
        Set<String> seen = new HashSet<>();
        for (int batch = 1; batch <= 400; batch++) {
            for (String id : ids.next(batch % 130 + 1)) {
                assertThat(id).matches("[A-Za-z0-9_-]{22}");
                assertThat(seen.add(id)).as("unique").isTrue();
            }
        }
        assertThat(seen).hasSizeGreaterThan(20_000);
    }

    @Test
    void twoGeneratorsDoNotRepeatEachOther() {
        Set<String> first = Set.of(new UploadIds(new SecureRandom()).next(1000));
        for (String id : new UploadIds(new SecureRandom()).next(1000)) {
            assertThat(first).doesNotContain(id);
        }
    }
}
