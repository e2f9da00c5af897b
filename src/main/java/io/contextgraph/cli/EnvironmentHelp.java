package io.contextgraph.cli;

import io.contextgraph.config.Role;
import io.contextgraph.config.Variable;
import picocli.CommandLine;
import picocli.CommandLine.Help.Column;
import picocli.CommandLine.Help.TextTable;

import java.util.List;

/** The "Environment variables" section of a command's {@code --help}, made from config's {@link Variable} table. */
final class EnvironmentHelp {
    private static final String SECTION = "environment";

    private EnvironmentHelp() {
    }

    /** Adds the section for {@code role} to {@code command} and to its subcommands, after the options. */
    static void addTo(CommandLine command, Role role) {
        List<Variable> variables = Variable.of(role);
        int nameWidth = variables.stream().mapToInt(variable -> variable.name().length()).max().orElse(0) + 4;
        command.getHelpSectionMap().put(SECTION, help -> {
            int width = help.commandSpec().usageMessage().width();
            TextTable table = TextTable.forColumns(help.colorScheme(),
                    new Column(nameWidth, 2, Column.Overflow.SPAN), new Column(width - nameWidth, 0, Column.Overflow.WRAP));
            for (Variable variable : variables) {
                table.addRowValues(variable.name(), variable.meaning()
                        + (variable.defaultValue().isEmpty() ? "" : " [default: " + variable.defaultValue() + "]"));
            }
            return System.lineSeparator() + "Environment variables (empty counts as unset):" + System.lineSeparator() + table;
        });
        List<String> order = new java.util.ArrayList<>(command.getHelpSectionKeys());
        order.add(order.indexOf(CommandLine.Model.UsageMessageSpec.SECTION_KEY_FOOTER_HEADING), SECTION);
        command.setHelpSectionKeys(order);
        command.getSubcommands().values().forEach(sub -> addTo(sub, role));
    }
}
