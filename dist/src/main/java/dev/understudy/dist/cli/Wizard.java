package dev.understudy.dist.cli;

import dev.understudy.common.home.HostPort;
import dev.understudy.common.home.NodeSettings;
import dev.understudy.common.home.Role;
import java.util.Arrays;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The first-start wizard of {@code understudy init}: asks what was not given as a flag, checks each
 * answer, and asks again with the reason when an answer is bad. Passwords are typed twice, not echoed.
 */
final class Wizard {

    static final int MIN_PASSWORD = 8;
    /** Bounds re-asking so a closed or looping input cannot spin forever. */
    static final int MAX_ATTEMPTS = 10;
    private static final Pattern USER = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    /** What init needs; null fields are asked for. */
    static final class Answers {
        Role role;
        Integer adminPort;
        Integer haPort;
        String adminUser;
        char[] password;
        String masterAddress;
    }

    private final WizardConsole console;

    Wizard(WizardConsole console) {
        this.console = console;
    }

    /** Told before a shadow's own admin credentials are set or replaced: attach makes the master's its own. */
    static final String REPLACED_AT_ATTACH = "Note: when this shadow attaches, its admin users and passwords are replaced"
            + " by the master's (the whole configuration is); log in to it with the master's admin credentials after that.";

    /** Fills in every missing answer of {@code a} (the master address only for a shadow). */
    Answers complete(Answers a) {
        console.println("Understudy first-start setup. Press Enter to accept the [default].");
        if (a.role == null) {
            a.role = ask("Role of this node, master or shadow", "master", Wizard::role);
        }
        if (a.adminPort == null) {
            a.adminPort = ask("Admin API port (HTTPS; 0 = chosen by the OS at start)",
                    Integer.toString(NodeSettings.DEFAULT_ADMIN_PORT), s -> port("admin port", s));
        }
        if (a.haPort == null) {
            int admin = a.adminPort;
            a.haPort = ask("HA port (the master listens here for its shadow; 0 = chosen by the OS)",
                    Integer.toString(NodeSettings.DEFAULT_HA_PORT), s -> {
                        int p = port("HA port", s);
                        if (p != 0 && p == admin) {
                            throw new IllegalArgumentException("HA port: " + p + " (expected: a port other than the admin port)");
                        }
                        return p;
                    });
        }
        if (a.adminUser == null) {
            a.adminUser = ask("Admin user", "admin", Wizard::user);
        }
        if (a.role == Role.SHADOW) {
            console.println(REPLACED_AT_ATTACH);
        }
        if (a.password == null) {
            a.password = password();
        }
        if (a.role == Role.SHADOW && a.masterAddress == null) {
            a.masterAddress = ask("HA address of the master (host:port)", null, s -> HostPort.parse(s).toString());
        }
        return a;
    }

    private <T> T ask(String question, String def, Function<String, T> parse) {
        String prompt = question + (def == null ? ": " : " [" + def + "]: ");
        for (int i = 0; i < MAX_ATTEMPTS; i++) {
            String line = console.readLine(prompt);
            if (line == null) {
                throw endOfInput();
            }
            line = line.trim();
            if (line.isEmpty()) {
                if (def == null) {
                    console.println("  an answer is required");
                    continue;
                }
                line = def;
            }
            try {
                return parse.apply(line);
            } catch (IllegalArgumentException e) {
                console.println("  " + e.getMessage() + "; try again");
            }
        }
        throw tooManyAttempts();
    }

    private char[] password() {
        for (int i = 0; i < MAX_ATTEMPTS; i++) {
            char[] first = console.readPassword("Admin password (at least " + MIN_PASSWORD + " characters, not shown): ");
            if (first == null) {
                throw endOfInput();
            }
            if (first.length < MIN_PASSWORD) {
                console.println("  admin password: too short (expected: at least " + MIN_PASSWORD + " characters); try again");
                Arrays.fill(first, '\0');
                continue;
            }
            char[] second = console.readPassword("Admin password again: ");
            if (second == null) {
                Arrays.fill(first, '\0');
                throw endOfInput();
            }
            boolean same = Arrays.equals(first, second);
            Arrays.fill(second, '\0');
            if (same) {
                return first;
            }
            Arrays.fill(first, '\0');
            console.println("  the two passwords differ; type them again");
        }
        throw tooManyAttempts();
    }

    static Role role(String s) {
        return Role.of(s);
    }

    static int port(String name, String s) {
        int p;
        try {
            p = Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + ": " + s + " (expected: a number 0..65535)");
        }
        if (p < 0 || p > 65535) {
            throw new IllegalArgumentException(name + ": " + p + " (expected: 0..65535)");
        }
        return p;
    }

    static String user(String s) {
        if (!USER.matcher(s).matches()) {
            throw new IllegalArgumentException("admin user: " + s
                    + " (expected: 1-128 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit)");
        }
        return s;
    }

    private static CliException endOfInput() {
        return CliException.usage("init: input ended before the wizard finished (answer every question, "
                + "or pass --role and --admin-password-file with --non-interactive)");
    }

    private static CliException tooManyAttempts() {
        return CliException.usage("init: too many invalid answers (rerun `understudy init`, or pass the values as flags)");
    }
}
