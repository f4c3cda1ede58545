package dev.understudy.dist.cli;

/** The terminal the first-start wizard talks through; tests script it. */
interface WizardConsole {

    /** Shows {@code prompt} and reads one line; null at end of input. */
    String readLine(String prompt);

    /** Shows {@code prompt} and reads a line without echoing it; null at end of input. */
    char[] readPassword(String prompt);

    /** Shows one line. */
    void println(String line);
}
