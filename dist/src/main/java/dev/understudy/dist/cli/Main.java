package dev.understudy.dist.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.lang.reflect.Constructor;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code understudy} command. Adding a command is one line in {@link #COMMANDS}: a picocli
 * command class with a constructor taking {@link CliContext} (or none).
 *
 * <p>Exit codes: 0 success, 1 failed operation, 2 bad usage. Every error is one line on stderr,
 * {@code understudy: <what happened> (<what to do>)}; never a stack trace.
 */
@Command(name = "understudy", mixinStandardHelpOptions = true, version = "understudy 0.1.0",
        description = "Connector appliance that runs as a master/shadow pair and fails over by itself.")
public final class Main {

    /** Every command, in the order `understudy --help` lists them. Add a command here: one line. */
    static final List<Class<?>> COMMANDS = List.of(
            InitCommand.class,
            RunCommand.class,
            StatusCommand.class,
            AlertsCommand.class,
            ConfigCommand.class,
            MappingCommand.class,
            AttachCommand.class,
            HaCommands.Detach.class,
            HaCommands.Reset.class,
            HaCommands.SwitchRoles.class,
            RenewCertCommand.class,
            ExportImportCommands.Export.class,
            ExportImportCommands.Import.class,
            QuickstartCommand.class,
            BenchCommand.class);

    private Main() {}

    public static void main(String[] args) {
        // before any TLS class loads (JSSE reads it once): a TLS 1.2 client may not renegotiate on the admin port
        if (System.getProperty("jdk.tls.rejectClientInitiatedRenegotiation") == null) {
            System.setProperty("jdk.tls.rejectClientInitiatedRenegotiation", "true");
        }
        if (args.length > 0 && args[0].equals("run")) {
            // before the first logger exists: the node logs to stdout; other commands only warn on stderr
            System.setProperty("understudy.log.target", "System.out");
            System.setProperty("understudy.log.level", "INFO");
        }
        System.exit(execute(CliContext.system(), args));
    }

    /** Runs one command line against {@code ctx}; returns the exit code. */
    static int execute(CliContext ctx, String... args) {
        Factory factory = new Factory(ctx);
        CommandLine cl = new CommandLine(new Main(), factory);
        // Building picocli's model of a command costs start-up time: when the first argument names a
        // command, only that one is built; otherwise (help, typos) all are, for the usage message.
        String first = args.length > 0 ? args[0] : "";
        Class<?> named = null;
        for (Class<?> c : COMMANDS) {
            if (c.getAnnotation(Command.class).name().equals(first)) {
                named = c;
            }
        }
        for (Class<?> c : named == null ? COMMANDS : List.of(named)) {
            cl.addSubcommand(c.getAnnotation(Command.class).name(), new CommandLine(c, factory));
        }
        cl.setOut(new PrintWriter(ctx.out(), true));
        cl.setErr(new PrintWriter(ctx.err(), true));
        cl.setParameterExceptionHandler((e, a) -> {
            String cmd = e.getCommandLine().getCommandSpec().qualifiedName();
            error(ctx.err(), usageMessage(e.getMessage()) + " (see `" + cmd + " --help`)");
            return CliException.USAGE;
        });
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof CliException c) {
                error(ctx.err(), c.getMessage());
                return c.exitCode();
            }
            String m = e.getMessage();
            error(ctx.err(), (m == null || m.isBlank() ? e.getClass().getSimpleName() : m));
            return CliException.FAILED;
        });
        return cl.execute(args);
    }

    private static final java.util.regex.Pattern NOT_A =
            java.util.regex.Pattern.compile("Invalid value for (?:option|positional parameter) '([^']+)': '(.*)' is not an? (\\w+)");

    /** picocli's "Invalid value for option '--x': 'abc' is not an int" as {@code --x: abc (expected: a whole number)}. */
    static String usageMessage(String picocli) {
        java.util.regex.Matcher m = NOT_A.matcher(picocli == null ? "" : picocli);
        if (!m.matches()) {
            return picocli;
        }
        String type = m.group(3);
        String expected = type.equals("int") || type.equals("long") ? "a whole number" : "a " + type;
        return m.group(1) + ": " + m.group(2) + " (expected: " + expected + ")";
    }

    /** One line, whatever the message: operators grep and scripts parse stderr. */
    static void error(PrintStream err, String message) {
        err.println("understudy: " + message.replaceAll("\\s*[\\r\\n]+\\s*", " ").trim());
        err.flush();
    }

    /** Gives every command the context; commands without a context constructor are made as usual. */
    private record Factory(CliContext ctx) implements CommandLine.IFactory {
        @Override
        public <K> K create(Class<K> cls) throws Exception {
            try {
                Constructor<K> c = cls.getDeclaredConstructor(CliContext.class);
                c.setAccessible(true);
                return c.newInstance(ctx);
            } catch (NoSuchMethodException e) {
                return CommandLine.defaultFactory().create(cls);
            }
        }
    }
}
