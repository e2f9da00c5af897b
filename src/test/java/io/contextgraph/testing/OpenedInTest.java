package io.contextgraph.testing;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * What a test opened (servers, links, worker loops), closed after it in reverse order of opening:
 * {@code @RegisterExtension final OpenedInTest opened = new OpenedInTest();} then {@code opened.keep(...)}.
 */
public final class OpenedInTest implements AfterEachCallback {
    private final List<AutoCloseable> open = new ArrayList<>();

    public <T extends AutoCloseable> T keep(T closeable) {
        open.add(closeable);
        return closeable;
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        open.clear();
    }
}
