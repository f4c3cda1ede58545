package dev.understudy.dist.cli;

import dev.understudy.common.home.NodeHome;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The {@code --home D} option every command takes. */
final class HomeOption {

    static final String DEFAULT = "./understudy-home";

    @Option(names = "--home", paramLabel = "D", description = "node home directory (default: " + DEFAULT + ")")
    Path home;

    /** The given home, or {@code fallback}'s when this command's own was not given, or the default. */
    Path dir(HomeOption fallback) {
        if (home != null) {
            return home;
        }
        if (fallback != null && fallback.home != null) {
            return fallback.home;
        }
        return Path.of(DEFAULT);
    }

    /** {@code own} when given on the subcommand, else the parent command's. */
    static HomeOption either(HomeOption own, HomeOption parent) {
        HomeOption h = new HomeOption();
        h.home = own.dir(parent);
        return h;
    }

    Path dir() {
        return dir(null);
    }

    /** A home option for {@code dir}, as if given with --home. */
    static HomeOption of(Path dir) {
        HomeOption h = new HomeOption();
        h.home = dir;
        return h;
    }

    NodeHome nodeHome() {
        return new NodeHome(dir());
    }

    /** The home as the user should type it in a suggested command. */
    String shown() {
        return dir().toString();
    }
}
