package dev.understudy.common.home;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EventLogTest {

    @TempDir
    Path tmp;

    private static EventLog.Event event(long epoch) {
        return new EventLog.Event("2026-11-21T10:00:0" + (epoch % 10) + "Z", "shadow", "master", epoch, "master silent for 2s");
    }

    @Test
    void appendAndTail() throws Exception {
        EventLog log = new EventLog(tmp.resolve("events.log"));
        assertThat(log.tail(10)).isEmpty();
        for (int i = 1; i <= 5; i++) {
            log.append(event(i));
        }
        assertThat(log.tail(10)).extracting(EventLog.Event::epoch).containsExactly(1L, 2L, 3L, 4L, 5L);
        assertThat(log.tail(2)).extracting(EventLog.Event::epoch).containsExactly(4L, 5L);
        assertThat(log.tail(1).get(0)).isEqualTo(event(5));
        assertThat(Files.readAllLines(tmp.resolve("events.log"))).hasSize(5)
                .allSatisfy(l -> assertThat(l).startsWith("{\"time\":").endsWith("}"));
    }

    @Test
    void tornLastLineIsSkippedAndDoesNotSwallowTheNextEvent() throws Exception {
        Path f = tmp.resolve("events.log");
        EventLog log = new EventLog(f);
        log.append(event(1));
        log.append(event(2));
        Files.writeString(f, "{\"time\":\"2026-11-21T10:00:03Z\",\"fr", StandardOpenOption.APPEND);
        assertThat(log.tail(10)).extracting(EventLog.Event::epoch).containsExactly(1L, 2L);
        log.append(event(4));
        assertThat(log.tail(10)).extracting(EventLog.Event::epoch).containsExactly(1L, 2L, 4L);
        assertThat(new EventLog(f).tail(10)).hasSize(3);
    }
}
