package dev.understudy.dist;

import static dev.understudy.dist.testing.NodeProcess.ok;
import static org.assertj.core.api.Assertions.assertThat;

import dev.understudy.common.testing.ProcessPauser;
import dev.understudy.dist.testing.NodeProcess;
import dev.understudy.dist.testing.PairedNodes;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web console in a real headless Chromium (Debian's chromium and chromium-driver, driven by
 * Selenium with explicit paths, so Selenium Manager never tries to download anything) against a
 * real paired master and shadow: an operator logs in, sees both nodes, watches a push failure
 * appear while the shadow is frozen (SIGSTOP) and turn into the "had failed ... caught up" warning
 * once it runs again (SIGCONT), acknowledges it with the button, and finds the shadow's console
 * read-only with the "mirrored" marker. Screenshots go to target/screenshots/.
 */
class ConsoleBrowserIT {

    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    /** Generous: 2 cores shared with other builds; the console refreshes every 2 s. */
    private static final Duration WAIT = Duration.ofSeconds(45);

    private final NodeProcess.Fleet fleet = new NodeProcess.Fleet();
    private WebDriver driver;
    private long pausedPid;

    @AfterEach
    void tearDown() throws InterruptedException {
        try {
            if (pausedPid != 0) {
                ProcessPauser.resume(pausedPid); // a stopped process ignores nothing but SIGKILL; be tidy anyway
            }
        } finally {
            try {
                if (driver != null) {
                    driver.quit();
                }
            } finally {
                fleet.close();
            }
        }
    }

    private static WebDriver startChromium(Path profile) {
        for (Path p : List.of(CHROMEDRIVER, CHROMIUM)) {
            dev.understudy.dist.testing.ExternalTools.require(p, "chromium chromium-driver");
        }
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--ignore-certificate-errors", // the node's admin certificate is self-signed
                "--window-size=1400,1800", "--user-data-dir=" + profile);
        options.setAcceptInsecureCerts(true);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .withLogFile(profile.resolveSibling("chromedriver.log").toFile())
                .build();
        return new ChromeDriver(service, options);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private WebDriverWait waiting() {
        // the console replaces a table's rows when they change: an element found a moment ago may be gone
        return (WebDriverWait) new WebDriverWait(driver, WAIT, Duration.ofMillis(100))
                .ignoring(StaleElementReferenceException.class);
    }

    /** The element's rendered text with each run of white space (line breaks between cells, too) as one space. */
    private String text(String id) {
        return driver.findElement(By.id(id)).getText().replaceAll("\\s+", " ").trim();
    }

    /** Opens the console on {@code adminPort} again, logging in only if it asks (it may remember the session). */
    private void reopen(int adminPort) {
        driver.get("https://127.0.0.1:" + adminPort + "/");
        waiting().until(d -> d.findElement(By.id("login-form")).isDisplayed() || d.findElement(By.id("app")).isDisplayed());
        if (driver.findElement(By.id("login-form")).isDisplayed()) {
            login(adminPort);
        }
    }

    /** Logs in to the console on {@code adminPort}; returns what the login page's heading said. */
    private String login(int adminPort) {
        driver.get("https://127.0.0.1:" + adminPort + "/");
        waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id("login-form")));
        String heading = text("login-heading");
        WebElement user = driver.findElement(By.id("login-user"));
        user.clear();
        user.sendKeys(PairedNodes.ADMIN_USER);
        driver.findElement(By.id("login-password")).sendKeys(PairedNodes.ADMIN_PASSWORD);
        driver.findElement(By.cssSelector("#login-form button[type=submit]")).click();
        waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id("app")));
        return heading;
    }

    private void screenshot(String name) throws IOException {
        Path dir = Path.of("target", "screenshots");
        Files.createDirectories(dir);
        byte[] png = ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES);
        Files.write(dir.resolve(name), png);
    }

    /** The alert rows of the alerts table whose text contains all of {@code parts}. */
    private List<WebElement> alertRows(String... parts) {
        return driver.findElements(By.cssSelector("#alerts-body tr")).stream().filter(r -> {
            String t = r.getText();
            for (String p : parts) {
                if (!t.contains(p)) {
                    return false;
                }
            }
            return true;
        }).toList();
    }

    @Test
    void operatorSeesPushFailureRecoveryAcknowledgesItAndFindsTheShadowReadOnly() throws Exception {
        // takeoverDelay 30 s on both nodes: the master keeps the frozen shadow's connection (and retries the
        // push on it) instead of dropping it after 2 s of silence, and the shadow, frozen for a few seconds,
        // resumes as a shadow (a shadow frozen for longer than its takeoverDelay takes over on SIGCONT: ShadowPauseIT).
        PairedNodes pair = PairedNodes.start(fleet, "console", Map.of("takeoverDelay", "30s"));
        Path profile = pair.work().resolve("chromium-profile");
        Files.createDirectories(profile);
        driver = startChromium(profile);

        // 1. log in to the master's console: both nodes' status
        assertThat(login(pair.masterRun().adminPort())).as("the login page names the node and its role")
                .isEqualTo("Sign in to node console-master master");
        waiting().until(d -> text("status-node").contains("console-master") && text("status-peer").contains("console-shadow"));
        // what an HA screen shows: since when the shadow is connected, from where, and the last good push
        waiting().until(d -> text("status-peer").contains("Last successful push 20"));
        assertThat(text("status-peer")).contains("Connected since 20", "Seen from host 127.0.0.1");
        assertThat(text("status-node")).contains("master").contains("ACTIVE_PAIRED")
                .contains("Serving; shadow console-shadow in sync");
        assertThat(text("status-peer")).contains("Peer shadow").contains("STANDBY");
        assertThat(text("node-title")).isEqualTo("console-master · master · epoch 1");
        assertThat(((JavascriptExecutor) driver).executeScript(
                "return sessionStorage.length + localStorage.length + document.cookie.length;"))
                .as("the login is kept only in the page's memory, not in web storage or cookies").isEqualTo(0L);
        // (pairing may leave a resolved PEER_UNREACHABLE warning from the attach's reconnect; no error)
        assertThat(alertRows("ERROR")).isEmpty();
        assertThat(driver.findElement(By.id("error-badge")).isDisplayed()).isFalse();

        // 2. freeze the shadow, then add a mapping with the console's form: the push cannot be acknowledged
        pausedPid = pair.shadow().pid();
        ProcessPauser.pause(pausedPid);
        int listenPort = freePort();
        driver.findElement(By.id("m-id")).sendKeys("web");
        driver.findElement(By.id("m-listen-port")).sendKeys(Integer.toString(listenPort));
        driver.findElement(By.id("m-backend-host")).sendKeys("127.0.0.1");
        driver.findElement(By.id("m-backend-port")).sendKeys("9");
        driver.findElement(By.id("m-description")).sendKeys("intranet web");
        driver.findElement(By.id("mapping-submit")).click();
        waiting().until(d -> text("mapping-result").startsWith("Mapping web saved"));
        assertThat(text("mapping-result")).as("the shadow is frozen: the write cannot be replicated")
                .contains("(not yet replicated)");
        // at once, not after the 5 s typing pause: the form was submitted, the edit is over
        new WebDriverWait(driver, Duration.ofSeconds(4), Duration.ofMillis(50)).ignoring(StaleElementReferenceException.class)
                .until(d -> text("mappings-body").contains("0.0.0.0:" + listenPort));
        assertThat(text("mappings-body")).contains("web", "0.0.0.0:" + listenPort, "127.0.0.1:9", "intranet web");
        waiting().until(d -> alertRows("ERROR", "PUSH_FAILED", "console-shadow").stream()
                .anyMatch(r -> !r.getText().contains("resolved")));
        assertThat(driver.findElement(By.id("error-badge")).isDisplayed()).as("header error badge").isTrue();
        screenshot("master-console-push-failed.png");

        // 3. let the shadow run again: the error resolves into the "had failed ... caught up" warning
        ProcessPauser.resume(pausedPid);
        pausedPid = 0;
        waiting().until(d -> !alertRows("WARNING", "PUSH_FAILED", "had failed", "caught up").isEmpty());
        waiting().until(d -> alertRows("ERROR", "PUSH_FAILED").stream().allMatch(r -> r.getText().contains("resolved")));
        waiting().until(d -> !driver.findElement(By.id("error-badge")).isDisplayed());
        waiting().until(d -> text("status-node").contains("ACTIVE_PAIRED"));

        // 4. acknowledge the warning with its button
        waiting().until(d -> {
            alertRows("WARNING", "PUSH_FAILED", "caught up").get(0).findElement(By.cssSelector("button[data-ack]")).click();
            return true;
        });
        waiting().until(d -> {
            List<WebElement> rows = alertRows("WARNING", "PUSH_FAILED", "caught up");
            return !rows.isEmpty() && rows.get(0).getText().contains("acknowledged")
                    && rows.get(0).findElements(By.cssSelector("button[data-ack]")).isEmpty();
        });
        assertThat(ok("alerts", "--home", pair.masterHome(), "--json", "--all").json().toString())
                .as("the acknowledgement reached the node").contains("\"acknowledged\":true");
        screenshot("master-console.png");

        // 5. the shadow's console: the replicated mapping, read-only, marked as mirrored
        assertThat(login(pair.shadowRun().adminPort())).isEqualTo("Sign in to node console-shadow shadow");
        waiting().until(d -> text("status-node").contains("console-shadow") && text("mappings-body").contains("web"));
        assertThat(text("status-node")).contains("shadow").contains("STANDBY");
        assertThat(text("status-peer")).contains("Peer master").contains("console-master");
        WebElement mirrored = driver.findElement(By.id("mirrored"));
        assertThat(mirrored.isDisplayed()).isTrue();
        assertThat(mirrored.getText()).isEqualTo("mirrored from master console-master (read-only)");
        assertThat(driver.findElement(By.id("mapping-form")).isDisplayed()).as("no mapping form on the shadow").isFalse();
        assertThat(driver.findElements(By.cssSelector("#mappings-body button"))).as("no edit/remove buttons").isEmpty();
        assertThat(text("mappings-body")).contains("0.0.0.0:" + listenPort, "127.0.0.1:9", "intranet web");
        screenshot("shadow-console.png");

        // 6. the console refreshes by itself: a change made with the CLI on the master shows up here without a reload
        ((JavascriptExecutor) driver).executeScript("window.__understudyNoReload = true;");
        int secondPort = freePort();
        ok("mapping", "add", "--home", pair.masterHome(), "--id", "api", "--listen-port", Integer.toString(secondPort),
                "--backend-host", "127.0.0.1", "--backend-port", "10");
        new WebDriverWait(driver, Duration.ofSeconds(5), Duration.ofMillis(100)).ignoring(StaleElementReferenceException.class)
                .until(d -> text("mappings-body").contains("0.0.0.0:" + secondPort));
        assertThat(((JavascriptExecutor) driver).executeScript("return window.__understudyNoReload === true;"))
                .as("the page was not reloaded").isEqualTo(Boolean.TRUE);
        assertThat(new File("target/screenshots/master-console.png")).exists();

        // 7. a mapping whose port another program holds: an ERROR alert and the mapping's bind failure on the master
        try (ServerSocket busy = new ServerSocket(0)) {
            NodeProcess.CliResult add = NodeProcess.cli("mapping", "add", "--home", pair.masterHome(), "--id", "held",
                    "--listen-port", Integer.toString(busy.getLocalPort()), "--backend-host", "127.0.0.1",
                    "--backend-port", "11", "--description", "port held elsewhere");
            assertThat(add.exit()).as(add.toString()).isEqualTo(1);
            reopen(pair.masterRun().adminPort());
            waiting().until(d -> !alertRows("ERROR", "MAPPING_BIND_FAILED", "held").isEmpty()
                    && text("mappings-body").contains("bind failed"));
            assertThat(text("mappings-body")).contains("port held elsewhere", "cannot listen on",
                    ":" + busy.getLocalPort());
            assertThat(driver.findElement(By.id("error-badge")).isDisplayed()).isTrue();
            screenshot("master-console-bind-failed.png");
            reopen(pair.shadowRun().adminPort());
            waiting().until(d -> text("mappings-body").contains("held"));
            screenshot("shadow-console-bind-failed-on-master.png");
        }
    }
}
