package dev.understudy.common.alert;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.understudy.common.clock.Clock;
import dev.understudy.common.io.AtomicFiles;
import dev.understudy.common.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's alerts, persisted atomically to {@code alerts.json} on every change. An open alert of
 * the same category and key is updated (count, lastSeen, message) rather than duplicated.
 * Thread-safe.
 */
public final class AlertStore {

    private static final Logger log = LoggerFactory.getLogger(AlertStore.class);
    /** Resolved alerts kept for the history view; older ones are dropped. */
    static final int MAX_RESOLVED = 200;

    private final Path file;
    private final Clock clock;
    private final List<Alert> alerts = new ArrayList<>();
    private final List<Consumer<Alert>> listeners = new CopyOnWriteArrayList<>();
    private long nextId = 1;

    private record FileFormat(@JsonProperty("nextId") long nextId, @JsonProperty("alerts") List<Alert> alerts) {}

    private AlertStore(Path file, Clock clock) {
        this.file = file;
        this.clock = clock;
    }

    /**
     * Opens the store. A damaged file is moved aside (as {@code alerts.json.damaged}) and reported,
     * rather than stopping the node: alerts are advisory, the node must still come up.
     */
    public static AlertStore open(Path file, Clock clock) throws IOException {
        AlertStore s = new AlertStore(file, clock);
        if (Files.exists(file)) {
            try {
                FileFormat f = Json.read(Files.readAllBytes(file), FileFormat.class);
                if (f == null) {
                    throw new IOException("no alert object in the file");
                }
                long maxId = 0;
                if (f.alerts() != null) {
                    for (Alert a : f.alerts()) {
                        maxId = Math.max(maxId, checked(a, s.alerts.size()));
                        s.alerts.add(a.key() == null ? a.withKey("") : a);
                    }
                }
                // never hand out an id that is already in the file
                s.nextId = Math.max(Math.max(1, f.nextId()), maxId + 1);
            } catch (IOException e) {
                Path aside = file.resolveSibling(file.getFileName() + ".damaged");
                Files.move(file, aside, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                log.error("{} is not a valid alert file ({}); moved it to {} and started with no alerts",
                        file, e.getMessage(), aside);
            }
        }
        return s;
    }

    /** Checks one alert read from the file and returns its numeric id; a bad one makes the file damaged. */
    private static long checked(Alert a, int index) throws IOException {
        String at = "alerts[" + index + "]";
        if (a == null) {
            throw new IOException(at + ": null (expected: an alert object)");
        }
        long id;
        try {
            id = Long.parseLong(String.valueOf(a.id()));
        } catch (NumberFormatException e) {
            throw new IOException(at + ".id: not a positive number", e);
        }
        if (id <= 0 || a.severity() == null || a.category() == null || a.message() == null) {
            throw new IOException(at + ": id, severity, category or message missing or invalid");
        }
        try {
            Instant.parse(String.valueOf(a.firstSeen()));
            Instant.parse(String.valueOf(a.lastSeen()));
        } catch (java.time.format.DateTimeParseException e) {
            throw new IOException(at + ": firstSeen/lastSeen not ISO-8601 instants", e);
        }
        return id;
    }

    /** Raises (or bumps) the open alert of {@code category}/{@code key}. */
    public synchronized Alert raise(Severity severity, AlertCategory category, String key, String message) {
        String now = Instant.ofEpochMilli(clock.currentTimeMillis()).toString();
        String k = key == null ? "" : key;
        Alert a = null;
        for (int i = 0; i < alerts.size(); i++) {
            Alert x = alerts.get(i);
            if (!x.resolved() && x.category() == category && x.key().equals(k)) {
                a = x.seenAgain(severity, message, now);
                alerts.set(i, a);
                break;
            }
        }
        if (a == null) {
            a = new Alert(Long.toString(nextId++), severity, category, k, message, now, now, 1, false, false);
            alerts.add(a);
            log.warn("alert {} {} {}: {}", a.id(), severity, category, message);
        }
        persist();
        Alert raised = a;
        listeners.forEach(l -> l.accept(raised));
        return a;
    }

    /** Resolves the open alerts of {@code category} (with {@code key}, or any key when null); returns them. */
    public synchronized List<Alert> resolve(AlertCategory category, String key) {
        List<Alert> done = new ArrayList<>();
        for (int i = 0; i < alerts.size(); i++) {
            Alert x = alerts.get(i);
            if (!x.resolved() && x.category() == category && (key == null || x.key().equals(key))) {
                Alert r = x.withResolved();
                alerts.set(i, r);
                done.add(r);
            }
        }
        if (!done.isEmpty()) {
            trimResolved();
            persist();
            done.forEach(a -> log.info("alert {} {} resolved", a.id(), a.category()));
        }
        return done;
    }

    /** Marks alert {@code id} acknowledged; throws if there is no such alert. */
    public synchronized Alert acknowledge(String id) {
        for (int i = 0; i < alerts.size(); i++) {
            if (alerts.get(i).id().equals(id)) {
                Alert a = alerts.get(i).withAcknowledged();
                alerts.set(i, a);
                persist();
                return a;
            }
        }
        throw new NoSuchElementException("alert: " + id + " (expected: the id of an alert; see `understudy alerts --all`)");
    }

    /** Open alerts not acknowledged by an operator, or all alerts with {@code all}; newest activity first. */
    public synchronized List<Alert> list(boolean all) {
        List<Alert> out = new ArrayList<>();
        for (Alert a : alerts) {
            if (all || (!a.resolved() && !a.acknowledged())) {
                out.add(a);
            }
        }
        // compare instants, not strings: Instant.toString drops a zero fraction, so text order is wrong
        out.sort(Comparator.comparing((Alert a) -> Instant.parse(a.lastSeen())).reversed()
                .thenComparing(a -> Long.parseLong(a.id())));
        return out;
    }

    public synchronized Optional<Alert> open(AlertCategory category, String key) {
        return alerts.stream()
                .filter(a -> !a.resolved() && a.category() == category && (key == null || a.key().equals(key)))
                .findFirst();
    }

    public void addListener(Consumer<Alert> listener) {
        listeners.add(listener);
    }

    private void trimResolved() {
        long resolved = alerts.stream().filter(Alert::resolved).count();
        for (int i = 0; i < alerts.size() && resolved > MAX_RESOLVED; ) {
            if (alerts.get(i).resolved()) {
                alerts.remove(i);
                resolved--;
            } else {
                i++;
            }
        }
    }

    private void persist() {
        try {
            AtomicFiles.write(file, Json.toBytes(new FileFormat(nextId, alerts)));
        } catch (IOException e) {
            // the alert is still held in memory and shown; losing durability must itself be visible
            log.error("cannot write {}: {}; alerts are kept in memory until it can be written", file, e.getMessage());
        }
    }
}
