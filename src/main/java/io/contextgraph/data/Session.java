package io.contextgraph.data;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One kept session: one URL in one tab, from when it was opened until the user left it.
 *
 * @param url the URL, as the client sent it
 * @param startTime Unix seconds (UTC)
 * @param durationMillis how long the page was open, in milliseconds (0 when the client sent none)
 * @param tabId tab group and tab, or {@code null} when the client sent none
 */
public record Session(String url, long startTime, long durationMillis, String tabId) {

    /**
     * The session as it is stored: a JSON object with the document's field names
     * ({@code url}, {@code start_time}, {@code duration}, and {@code tab_id} when present), in
     * that order, ready for a JSON writer.
     */
    public Map<String, Object> toJsonObject() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("url", url);
        json.put("start_time", startTime);
        json.put("duration", durationMillis);
        if (tabId != null) {
            json.put("tab_id", tabId);
        }
        return json;
    }
}
