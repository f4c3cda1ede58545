package dev.understudy.dist.cli;

/** A command failed in a way the user is told about in one line; carries the exit code. */
final class CliException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** The operation failed. */
    static final int FAILED = 1;
    /** The command was used wrongly (flags, arguments, input). */
    static final int USAGE = 2;

    private final int exitCode;

    CliException(int exitCode, String message) {
        super(message, null, false, false);
        this.exitCode = exitCode;
    }

    static CliException failed(String message) {
        return new CliException(FAILED, message);
    }

    static CliException usage(String message) {
        return new CliException(USAGE, message);
    }

    int exitCode() {
        return exitCode;
    }
}
