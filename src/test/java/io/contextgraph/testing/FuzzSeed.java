package io.contextgraph.testing;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * Gives a fuzz test method ({@code @ExtendWith(FuzzSeed.class)}) its seed as a {@code long} parameter:
 * {@code -Dfuzz.seed=N} replays a run, otherwise a new seed is drawn. A failure's message starts with the seed and
 * how to replay it; a passing test prints nothing.
 */
public final class FuzzSeed implements ParameterResolver, TestExecutionExceptionHandler {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(FuzzSeed.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == long.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        long seed = Long.getLong("fuzz.seed", System.nanoTime());
        context.getStore(NAMESPACE).put("seed", seed);
        return seed;
    }

    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
        Long seed = context.getStore(NAMESPACE).get("seed", Long.class);
        if (seed == null) {
            throw failure;
        }
        String test = context.getRequiredTestClass().getSimpleName() + "#" + context.getRequiredTestMethod().getName();
        String property = context.getRequiredTestClass().getSimpleName().endsWith("IT") ? "-Dit.test=" : "-Dtest=";
        throw new AssertionError("fuzz seed " + seed + " (replay: mvn verify " + property + test + " -Dfuzz.seed="
                + seed + "): " + failure, failure);
    }
}
