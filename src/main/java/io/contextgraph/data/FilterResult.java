package io.contextgraph.data;

import java.util.List;
import java.util.Set;

/**
 * What {@link SessionFilter} made of an upload's sessions.
 *
 * @param kept the sessions to store, in upload order
 * @param droppedSessions how many list elements were not kept
 * @param droppedUrls the distinct URL strings of the dropped sessions that had a string URL;
 *     only its size leaves the process (the {@code data.url.drop} counter)
 */
public record FilterResult(List<Session> kept, int droppedSessions, Set<String> droppedUrls) {

    public FilterResult {
        kept = List.copyOf(kept);
        droppedUrls = Set.copyOf(droppedUrls);
    }

    /** Nothing was kept: the upload stores nothing and counts as a validation error. */
    public boolean keptNothing() {
        return kept.isEmpty();
    }
}
