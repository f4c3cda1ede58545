package dev.understudy.dist.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import dev.understudy.common.clock.Clock;
import dev.understudy.common.home.NodeHome;
import dev.understudy.common.home.NodeSettings;
import dev.understudy.dist.node.NodeRuntime;
import java.io.IOException;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code understudy run}: the node in the foreground until SIGTERM; logs to stdout. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run the node in the foreground until SIGTERM; logs go to stdout.")
final class RunCommand implements Callable<Integer> {

    @Mixin
    HomeOption home;

    RunCommand(CliContext ctx) {
        // the node logs; it has nothing else to print
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        NodeHome h = home.nodeHome();
        NodeSettings settings = h.loadSettings();
        setLogLevel(settings.logLevel());
        NodeRuntime node = NodeRuntime.open(h, Clock.system());
        try {
            node.start();
        } catch (IOException | RuntimeException e) {
            node.close();
            throw e;
        }
        Thread hook = new Thread(() -> {
            node.close();
            System.out.flush();
            // SIGTERM is the normal way to stop a node: report success, not 143
            Runtime.getRuntime().halt(0);
        }, "understudy-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        while (!node.awaitClosed(1, TimeUnit.HOURS)) {
            // serve until the shutdown hook closes the node
        }
        return 0;
    }

    /** Applies node.json's logLevel to the root logger (logback.xml starts `run` at INFO on stdout). */
    static void setLogLevel(String level) {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext lc) {
            lc.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).setLevel(Level.toLevel(level, Level.INFO));
        }
    }
}
