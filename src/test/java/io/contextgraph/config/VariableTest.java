package io.contextgraph.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The table behind {@code --help} stays true: it lists what SettingsLoader reads, with the defaults it uses. */
class VariableTest {
    /** Read by libraries or other classes, not through SettingsLoader. */
    private static final Set<String> READ_ELSEWHERE = Set.of("SENTRY_ENVIRONMENT", "AWS_REGION", "AWS_ACCESS_KEY_ID");

    /** A map that remembers every name it was asked for. */
    private static final class RecordingEnv extends HashMap<String, String> {
        final Set<String> asked = new TreeSet<>();

        RecordingEnv(Map<String, String> values) {
            super(values);
        }

        @Override
        public String get(Object key) {
            asked.add((String) key);
            return super.get(key);
        }
    }

    private static Map<String, String> minimal(Role role) {
        return role == Role.WORKER ? Map.of("S3_BUCKET", "cg-bucket") : Map.of();
    }

    @Test
    void everyVariableSettingsLoaderReadsIsInTheTableAndViceVersa() {
        Set<String> asked = new TreeSet<>();
        for (Role role : Role.values()) {
            RecordingEnv env = new RecordingEnv(minimal(role));
            SettingsLoader.load(role, env);
            asked.addAll(env.asked);
        }
        Set<String> listed = Variable.TABLE.stream().map(Variable::name).collect(Collectors.toCollection(TreeSet::new));

        assertThat(listed).as("variables read by SettingsLoader but missing from Variable.TABLE").containsAll(asked);
        listed.removeAll(READ_ELSEWHERE);
        assertThat(asked).as("variables of Variable.TABLE that SettingsLoader never reads").containsAll(listed);
    }

    @ParameterizedTest
    @EnumSource(Role.class)
    void settingEveryListedDefaultExplicitlyChangesNothing(Role role) {
        Settings defaults = SettingsLoader.load(role, minimal(role));
        for (Variable variable : Variable.of(role)) {
            if (variable.defaultValue().isEmpty() || (role == Role.STANDALONE && variable.name().equals("REDIS_HOST"))) {
                continue; // no default, or (REDIS_HOST) its absence is what makes standalone embed Redis
            }
            Map<String, String> env = new HashMap<>(minimal(role));
            env.put(variable.name(), variable.defaultValue());

            assertThat(SettingsLoader.load(role, env)).as(variable.name() + "=" + variable.defaultValue()).isEqualTo(defaults);
        }
    }

    @Test
    void eachVariableIsListedOnce() {
        assertThat(Variable.TABLE.stream().map(Variable::name).distinct()).hasSameSizeAs(Variable.TABLE);
    }

    @ParameterizedTest
    @ValueSource(strings = {"debug", "WARN", "Error", "off"})
    void logLevelTakesRealLevels(String level) {
        SettingsLoader.load(Role.WEB, Map.of("LOG_LEVEL", level));
    }

    @ParameterizedTest
    @ValueSource(strings = {"verbose", "INFO!", "5"})
    void logLevelRefusesAnythingElse(String level) {
        assertThatThrownBy(() -> SettingsLoader.load(Role.WEB, Map.of("LOG_LEVEL", level)))
                .isInstanceOf(ConfigException.class)
                .hasMessage("LOG_LEVEL: must be TRACE, DEBUG, INFO, WARN, ERROR or OFF, got \"" + level + "\"");
    }
}
