package dev.understudy.dist.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.understudy.common.clock.Clock;
import dev.understudy.common.home.NodeHome;
import dev.understudy.dist.node.NodeRuntime;
import dev.understudy.dist.testing.TestHomes;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a password guesser on loopback gets: {@value #CLIENTS} clients send wrong basic-auth passwords
 * as fast as the node answers, for {@value #SECONDS} s. Only answers 401 were checked against the
 * hash; 429s were refused unchecked. Prints the rates (the figures of issue #9).
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class LoginGuessRateTest {

    static final int CLIENTS = 4;
    static final int SECONDS = 5;

    @TempDir
    Path dir;

    @Test
    void aGuesserGetsAtMostAHandfulOfPasswordsCheckedPerMinute() throws Exception {
        TestHomes.master(dir.resolve("m"), "rate");
        try (NodeRuntime node = NodeRuntime.open(new NodeHome(dir.resolve("m")), Clock.system())) {
            node.start();
            HttpClient client = HttpClient.newBuilder().sslContext(AdminServerTest.trusting(node.home().nodeCrt()))
                    .connectTimeout(Duration.ofSeconds(5)).build();
            Tally statuses = new Tally();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
            ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
            List<Future<?>> running = new ArrayList<>();
            AtomicInteger guess = new AtomicInteger();
            for (int c = 0; c < CLIENTS; c++) {
                running.add(pool.submit(() -> {
                    while (System.nanoTime() < deadline) {
                        String basic = Base64.getEncoder().encodeToString(("admin:guess-" + guess.incrementAndGet())
                                .getBytes(StandardCharsets.UTF_8));
                        HttpRequest r = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + node.adminPort() + "/api/v1/status"))
                                .header("Authorization", "Basic " + basic).timeout(Duration.ofSeconds(30)).GET().build();
                        statuses.add(client.send(r, HttpResponse.BodyHandlers.discarding()).statusCode());
                    }
                    return null;
                }));
            }
            for (Future<?> f : running) {
                f.get(60, TimeUnit.SECONDS);
            }
            pool.shutdown();
            int checked = statuses.get(401);
            int refused = statuses.get(429);
            System.out.printf("guess rate over %d s with %d clients: %d checked (%.1f/s), %d refused unchecked (%.1f/s), others %s%n",
                    SECONDS, CLIENTS, checked, checked / (double) SECONDS, refused, refused / (double) SECONDS, statuses);
            assertThat(statuses.counts.keySet()).as("only 401 and 429 answers").isSubsetOf(401, 429);
            // 5 free failures, then locked for 2 s, then 4 s: at most 7 checks within 5 s
            assertThat(checked).as("passwords checked").isBetween(5, 7);
            assertThat(refused).as("attempts refused without a hash").isPositive();
        }
    }

    /** Counts of answers by status. */
    static final class Tally {
        final ConcurrentHashMap<Integer, AtomicInteger> counts = new ConcurrentHashMap<>();

        void add(int status) {
            counts.computeIfAbsent(status, s -> new AtomicInteger()).incrementAndGet();
        }

        int get(int status) {
            AtomicInteger n = counts.get(status);
            return n == null ? 0 : n.get();
        }

        @Override
        public String toString() {
            return counts.toString();
        }
    }
}
