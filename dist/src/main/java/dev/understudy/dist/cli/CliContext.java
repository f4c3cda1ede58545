package dev.understudy.dist.cli;

import java.io.PrintStream;
import java.util.function.Supplier;

/**
 * Where a command writes and whom it asks: the real process streams and terminal, or a test's.
 *
 * @param out     results
 * @param err     the one-line errors
 * @param console the terminal for the first-start wizard; supplies null when there is none
 */
record CliContext(PrintStream out, PrintStream err, Supplier<WizardConsole> console) {

    static CliContext system() {
        return new CliContext(System.out, System.err, SystemWizardConsole::openOrNull);
    }
}
