package dev.understudy.common.home;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.understudy.common.json.Json;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The role-change log, {@code events.log}: one JSON object per line, appended and fsynced. */
public final class EventLog {

    private static final Logger log = LoggerFactory.getLogger(EventLog.class);

    /** One role change. {@code time} is an ISO-8601 instant. */
    public record Event(
            @JsonProperty("time") String time,
            @JsonProperty("from") String from,
            @JsonProperty("to") String to,
            @JsonProperty("epoch") long epoch,
            @JsonProperty("reason") String reason) {}

    private final Path file;

    public EventLog(Path file) {
        this.file = file;
    }

    public synchronized void append(Event e) throws IOException {
        byte[] line = (Json.toString(e) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        boolean tornLastLine = !endsWithNewline(file);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND)) {
            if (tornLastLine) {
                // a torn last line from a crash: end it, or this event would be glued to it and lost
                ch.write(ByteBuffer.wrap(new byte[] {'\n'}));
            }
            ByteBuffer buf = ByteBuffer.wrap(line);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(false);
        }
    }

    /** True for a missing or empty file too: nothing to repair. */
    private static boolean endsWithNewline(Path file) throws IOException {
        if (!Files.exists(file)) {
            return true;
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            if (ch.size() == 0) {
                return true;
            }
            ByteBuffer last = ByteBuffer.allocate(1);
            ch.read(last, ch.size() - 1);
            return last.get(0) == '\n';
        }
    }

    /** The newest {@code max} events, oldest first; unreadable lines (a torn last line) are skipped. */
    public synchronized List<Event> tail(int max) throws IOException {
        if (!Files.exists(file)) {
            return List.of();
        }
        List<String> lines = Files.readAllLines(file);
        List<Event> out = new ArrayList<>();
        for (int i = Math.max(0, lines.size() - max); i < lines.size(); i++) {
            try {
                out.add(Json.read(lines.get(i), Event.class));
            } catch (IOException ex) {
                log.debug("skipping unreadable line {} of {}", i + 1, file);
            }
        }
        return out;
    }
}
