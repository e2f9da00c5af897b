package io.contextgraph.testing;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;

/** Upload documents and tokens for integration tests. */
public final class Uploads {
    private Uploads() {
    }

    public static String newUser() {
        return UUID.randomUUID().toString().replace("-", "");
    }

    /** One valid session whose URL carries {@code marker}, so a test can find exactly this upload in storage. */
    public static byte[] withMarker(String marker) {
        long now = Instant.now().getEpochSecond();
        return ("{\"sessions\":[{\"url\":\"https://www.mozilla.org/en-US/?m=" + marker + "\",\"start_time\":" + now
                + ",\"duration\":2400,\"tab_id\":\"-31-2\"}]}").getBytes(StandardCharsets.UTF_8);
    }

    public static byte[] sessions(int count) {
        long now = Instant.now().getEpochSecond();
        StringBuilder json = new StringBuilder("{\"sessions\":[");
        for (int i = 0; i < count; i++) {
            if (i > 0) {
                json.append(',');
            }
            json.append("{\"url\":\"https://www.mozilla.org/en-US/firefox/page").append(i)
                    .append("\",\"start_time\":").append(now - 60L * i)
                    .append(",\"duration\":").append(1000 + i).append(",\"tab_id\":\"-31-2\"}");
        }
        return json.append("]}").toString().getBytes(StandardCharsets.UTF_8);
    }
}
