package dev.understudy.dist.cli;

import java.io.Console;

/** {@link WizardConsole} over the process terminal ({@link System#console()}). */
final class SystemWizardConsole implements WizardConsole {

    private final Console console;

    private SystemWizardConsole(Console console) {
        this.console = console;
    }

    /** The terminal, or null when stdin/stdout are not one (scripts, pipes). */
    static WizardConsole openOrNull() {
        Console c = System.console();
        return c == null ? null : new SystemWizardConsole(c);
    }

    @Override
    public String readLine(String prompt) {
        return console.readLine("%s", prompt);
    }

    @Override
    public char[] readPassword(String prompt) {
        return console.readPassword("%s", prompt);
    }

    @Override
    public void println(String line) {
        console.printf("%s%n", line);
        console.flush();
    }
}
