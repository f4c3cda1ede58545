package dev.understudy.common.store;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.common.config.ChangeOp;
import dev.understudy.common.config.ChangeSet;
import dev.understudy.common.config.ConfigCollection;
import dev.understudy.common.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Valid change sets and directory helpers for the store tests. */
final class Changes {

    /** A well-formed hash (the validator checks the form; these tests never verify a password). */
    static final String HASH = "pbkdf2-sha256$1000$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g";

    private Changes() {}

    static ObjectNode mapping(int listenPort, String backendHost, int backendPort) {
        return Json.object().put("listenPort", listenPort).put("backendHost", backendHost).put("backendPort", backendPort);
    }

    static ChangeOp putMapping(String id, int listenPort) {
        return ChangeOp.put(ConfigCollection.MAPPINGS, id, mapping(listenPort, "backend-" + id + ".example", 8080));
    }

    static ChangeOp putUser(String id) {
        return ChangeOp.put(ConfigCollection.USERS, id, Json.object().put("passwordHash", HASH));
    }

    static ChangeOp putSetting(String id, Object text) {
        ObjectNode v = Json.object();
        v.put("text", String.valueOf(text));
        v.putArray("list").add(1).add("two");
        return ChangeOp.put(ConfigCollection.SETTINGS, id, v);
    }

    /** The i-th change set of a varied history (i >= 1): puts of every collection, replacements, deletes. */
    static ChangeSet nth(int i) {
        List<ChangeOp> ops = new ArrayList<>();
        switch (i % 4) {
            case 1 -> ops.add(putMapping("m" + i, 10_000 + i));
            case 2 -> {
                ops.add(putUser("u" + i));
                ops.add(putSetting("s" + i, "x".repeat(i * 7)));
            }
            case 3 -> ops.add(putSetting("motd", "revision " + i));
            default -> {
                ops.add(putMapping("m" + (i - 3), 20_000 + i)); // replace an earlier mapping
                ops.add(putMapping("n" + i, 10_000 + i));
                if (i >= 8) {
                    ops.add(ChangeOp.delete(ConfigCollection.MAPPINGS, "n" + (i - 4)));
                }
            }
        }
        return new ChangeSet(ops);
    }

    static Path copyDir(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> s = Files.list(from)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Files.copy(p, to.resolve(p.getFileName()), StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
        return to;
    }

    static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
