package dev.understudy.dist.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks the web console's static assets as the admin server serves them from the classpath: they
 * exist, work under a strict Content-Security-Policy, keep credentials per tab and call the admin API;
 * and runs the console's JavaScript unit tests with node. Without node on the PATH that test is skipped,
 * except in CI (env {@code CI} set), where a missing node fails it: a CI run must not report the console's
 * logic as tested when it was not.
 */
class ConsoleAssetsTest {

    private static final String DIR = "/dev/understudy/dist/console/";
    private static final Pattern TEST_CALL = Pattern.compile("^\\s*test\\(");

    private static String load(String name) throws IOException {
        try (InputStream in = ConsoleAssetsTest.class.getResourceAsStream(DIR + name)) {
            assertThat(in).as("classpath resource %s%s", DIR, name).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void allThreeAssetsAreOnTheClasspath() throws IOException {
        for (String name : List.of("index.html", "console.js", "console.css")) {
            assertThat(load(name)).as(name).isNotBlank();
        }
    }

    @Test
    void indexReferencesTheAssetsAndWorksUnderStrictCsp() throws IOException {
        String html = load("index.html");
        assertThat(html)
                .contains("src=\"/console/console.js\"")
                .contains("href=\"/console/console.css\"");
        // default-src 'self' blocks inline handlers, inline scripts/styles and anything off-origin
        assertThat(html).doesNotContainPattern("(?i)\\son[a-z]+\\s*=");
        assertThat(html).doesNotContainPattern("(?i)https?://");
        assertThat(html).doesNotContainPattern("(?i)<script(?![^>]*\\ssrc=)[^>]*>");
        assertThat(html).doesNotContainPattern("(?i)<style|\\sstyle\\s*=");
    }

    @Test
    void scriptKeepsCredentialsPerTabAndCallsEveryEndpoint() throws IOException {
        String js = load("console.js");
        assertThat(js).contains("sessionStorage").doesNotContain("localStorage");
        assertThat(js).contains(
                "'/api/v1/status'",
                "'/api/v1/alerts?all=true'",
                "'/api/v1/alerts/'",
                "'/ack'",
                "'/api/v1/config/mappings'",
                "'/api/v1/config/mappings/'",
                "'PUT'",
                "'DELETE'",
                "'/api/v1/events?limit=50'",
                "'Basic '");
        assertThat(js).contains("mirrored from master ");
        assertThat(js).doesNotContainPattern("(?i)https?://");
        assertThat(js).as("no eval-like constructs, which a strict CSP would block")
                .doesNotContain("eval(").doesNotContain("new Function");
    }

    @Test
    void stylesheetLoadsNothingExternal() throws IOException {
        assertThat(load("console.css")).doesNotContainPattern("(?i)https?://|@import|url\\(");
    }

    @Test
    void javascriptUnitTestsPassUnderNode(@TempDir Path tmp) throws Exception {
        boolean haveNode = nodeAvailable();
        if (!haveNode && System.getenv("CI") != null) {
            throw new AssertionError("node is not on PATH but CI is set: the console's JavaScript unit tests cannot run "
                    + "(install Node.js >= 18, e.g. apt-get install nodejs, or unset CI to skip them locally)");
        }
        assumeTrue(haveNode, "node is not on PATH; skipping the console's JavaScript unit tests (set CI to make this a failure)");
        Path testFile = Path.of("src/test/js/console.test.js").toAbsolutePath();
        assertThat(testFile).exists();
        long declared = Files.readAllLines(testFile).stream().filter(l -> TEST_CALL.matcher(l).find()).count();
        assertThat(declared).as("test(...) calls in %s", testFile).isPositive();
        Path output = tmp.resolve("node-test.log");
        Process node = new ProcessBuilder("node", "--test", testFile.toString())
                .redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .start();
        try {
            assertThat(node.waitFor(60, TimeUnit.SECONDS)).as("node --test finished within 60 s").isTrue();
            String log = Files.readString(output);
            assertThat(node.exitValue()).as("node --test exit code; output:%n%s", log).isZero();
            // every declared test ran and passed: a file that stops loading half-way must not pass with fewer
            assertThat(log).contains("# fail 0").contains("# pass " + declared + "\n");
        } finally {
            node.destroyForcibly();
        }
    }

    private static boolean nodeAvailable() throws InterruptedException {
        try {
            Process p = new ProcessBuilder("node", "--version").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            boolean done = p.waitFor(10, TimeUnit.SECONDS);
            if (!done) {
                p.destroyForcibly();
            }
            return done && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        }
    }
}
