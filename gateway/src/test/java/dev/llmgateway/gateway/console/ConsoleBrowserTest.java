package dev.llmgateway.gateway.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmgateway.gateway.testing.GatewayTestResource;
import dev.llmgateway.gateway.testing.Http;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.File;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The console in a real browser (Debian chromium + chromedriver, driven by Selenium): sign-in with a wrong and the
 * right admin key, the spend chart and table drawn from real metered usage, a real team budget on the chart and the
 * budgets page, a migration promoted and paused from its page, and an author's revenue-share statement with its lines
 * and CSV export, all checked against the admin API. Screenshots go to target/console-screenshots/.
 */
@QuarkusTest
@QuarkusTestResource(GatewayTestResource.class)
class ConsoleBrowserTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Path SHOTS = Path.of("target", "console-screenshots");
    private static final String ADMIN = GatewayTestResource.ADMIN_KEY;
    private static final String TEAM = "console-team";
    private static final String OTHER = "console-other";
    private static final String LAB_TEAM = "console-lab-user";
    @Inject dev.llmgateway.gateway.metering.Metering metering;
    @Inject dev.llmgateway.gateway.runtime.LedgerPasses ledgerPasses;

    private WebDriver driver;
    private WebDriverWait wait;
    private Path profile;
    private Path downloads;
    private final List<String> driverFinderLog = new ArrayList<>();
    private Handler logHandler;

    @BeforeEach
    void startBrowser() throws IOException {
        assertThat(Files.isExecutable(CHROMIUM))
                .as("%s is missing: the console browser test needs Debian's chromium (apt-get install -y chromium chromium-driver)", CHROMIUM)
                .isTrue();
        assertThat(Files.isExecutable(CHROMEDRIVER))
                .as("%s is missing: the console browser test needs Debian's chromium-driver (apt-get install -y chromium chromium-driver)", CHROMEDRIVER)
                .isTrue();
        // The driver's path is given explicitly, so Selenium Manager (which could download a driver) is never run;
        // DriverFinder logs that it skipped it, and the test asserts on that line.
        Logger finder = Logger.getLogger("org.openqa.selenium.remote.service.DriverFinder");
        finder.setLevel(Level.FINE);
        logHandler = new Handler() {
            @Override public void publish(LogRecord r) { synchronized (driverFinderLog) { driverFinderLog.add(String.valueOf(r.getMessage())); } }
            @Override public void flush() {}
            @Override public void close() {}
        };
        logHandler.setLevel(Level.ALL);
        finder.addHandler(logHandler);
        System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());

        profile = Files.createTempDirectory("console-chromium-");
        downloads = Files.createDirectories(profile.resolve("downloads"));
        ChromeOptions options = new ChromeOptions();
        options.setExperimentalOption("prefs", java.util.Map.of("download.default_directory", downloads.toAbsolutePath().toString(),
                "download.prompt_for_download", false, "safebrowsing.enabled", false));
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1280,1400", "--user-data-dir=" + profile.toAbsolutePath());
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        driver = new ChromeDriver(service, options);
        wait = new WebDriverWait(driver, Duration.ofSeconds(30));
        wait.ignoring(org.openqa.selenium.StaleElementReferenceException.class); // a migration card is redrawn after each action
        Files.createDirectories(SHOTS);
    }

    @AfterEach
    void stopBrowser() throws IOException {
        if (driver != null) driver.quit();
        if (logHandler != null) Logger.getLogger("org.openqa.selenium.remote.service.DriverFinder").removeHandler(logHandler);
        if (profile != null) {
            try (Stream<Path> files = Files.walk(profile)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void signInSpendChartAndMigrationActions() throws Exception {
        synchronized (driverFinderLog) {
            assertThat(driverFinderLog).as("Selenium Manager must be skipped (the driver path is explicit)")
                    .anyMatch(m -> m.contains("Skipping Selenium Manager"));
        }
        assertThat(Path.of(System.getProperty("user.home"), ".cache", "selenium", "se-metadata.json"))
                .as("Selenium Manager ran (it keeps its metadata there)").satisfiesAnyOf(p -> assertThat(p).doesNotExist(),
                        p -> assertThat(Files.getLastModifiedTime(p).toInstant()).isBefore(java.time.Instant.now().minusSeconds(600)));

        // A real budget for TEAM, set before its requests so its own accounting (leases) sees them. Soft, so nothing is refused.
        String key = Http.newKey(TEAM);
        String other = Http.newKey(OTHER);
        HttpResponse<String> put = Http.put(Http.gateway() + "/admin/teams/" + TEAM + "/budget", ADMIN,
                "{\"limit_usd\":\"0.0004\",\"period\":\"monthly\",\"enforcement\":\"soft\",\"alert_thresholds\":[50,100]}");
        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
        assertThat(Http.get(Http.gateway() + "/admin/teams/" + OTHER + "/budget", ADMIN).statusCode()).isEqualTo(404);

        // Real usage: three requests for one team, one for another, metered into PostgreSQL.
        for (int i = 0; i < 3; i++) chat(key, "gpt-test");
        chat(other, "gpt-test");
        // Revenue share: the embedded tiny model is under test-license (10% to tiny-lab). Another test class in this
        // Quarkus app may have registered the author and license already: the author then answers 409, and the license
        // is left as it is (posting the same terms again, same effective_from, is refused by the store: a 500 today).
        HttpResponse<String> author = Http.post(Http.gateway() + "/admin/authors", ADMIN,
                "{\"id\":\"tiny-lab\",\"name\":\"Tiny Lab\",\"payout_reference\":\"x\"}");
        assertThat(author.statusCode()).as(author.body()).isIn(201, 409);
        JsonNode existing = null;
        for (JsonNode l : Http.json(Http.get(Http.gateway() + "/admin/licenses", ADMIN).body()).path("data")) {
            if (l.path("id").asText().equals("test-license")) existing = l;
        }
        if (existing == null) {
            HttpResponse<String> license = Http.post(Http.gateway() + "/admin/licenses", ADMIN, """
                    {"id":"test-license","author_id":"tiny-lab","name":"Tiny share","source_url":"https://example.org/l",
                     "terms":{"effective_from":"2020-01-01T00:00:00Z","free_use_classes":["research"],
                              "thresholds":{"active_users_over":null,"revenue_micros_over":null,"tokens_over":null},
                              "obligation":{"revenue_share_bp":1000,"royalty_micros_per_mtok":0,"minimum_micros_per_period":0},
                              "attribution":{"text":"","above_thresholds_only":false}}}""");
            assertThat(license.statusCode()).as(license.body()).isIn(200, 201);
        } else {
            assertThat(existing.path("author_id").asText()).isEqualTo("tiny-lab");
        }
        String lab = Http.newKey(LAB_TEAM);
        for (int i = 0; i < 2; i++) {
            HttpResponse<String> r = Http.post(Http.gateway() + "/v1/chat/completions", lab,
                    "{\"model\":\"tiny-test\",\"temperature\":0,\"max_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}]}");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        }
        // A team whose display name is markup: the console must show it as text, never run it.
        Http.post(Http.gateway() + "/admin/teams", ADMIN, "{\"id\":\"console-xss\",\"name\":\"<img src=x onerror=window.__xss=1>\"}");
        assertThat(metering.writer().awaitDrained(Duration.ofSeconds(10))).isTrue();
        ledgerPasses.post();
        resetMigration();

        // Sign in: a wrong key is refused with a message, the right one opens the console.
        driver.get(Http.gateway() + "/console/");
        WebElement input = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("admin-key")));
        assertThat(driver.switchTo().activeElement()).isEqualTo(input);
        input.sendKeys("not-the-admin-key");
        driver.findElement(By.id("login-submit")).click();
        WebElement error = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("login-error")));
        assertThat(error.getText()).contains("not accepted");
        assertThat(sessionKey()).isNull();
        shot("1-login-wrong-key");

        input.clear();
        input.sendKeys(ADMIN);
        driver.findElement(By.id("login-submit")).click();
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#spend-chart svg g.series[data-team='" + TEAM + "'] circle")));
        assertThat(sessionKey()).isEqualTo(ADMIN);
        assertThat(driver.findElement(By.id("login")).isDisplayed()).isFalse();

        // The chart has a series per team with usage, and the table shows the API's numbers for the UI's period.
        assertThat(driver.findElements(By.cssSelector("#spend-chart svg g.series[data-team='" + TEAM + "'] polyline"))).hasSize(1);
        assertThat(driver.findElements(By.cssSelector("#spend-chart svg g.series[data-team='" + OTHER + "'] circle"))).isNotEmpty();
        String from = driver.findElement(By.id("spend-from")).getDomProperty("value");
        String to = LocalDate.parse(driver.findElement(By.id("spend-to")).getDomProperty("value")).plusDays(1).toString();
        JsonNode usage = Http.json(Http.get(Http.gateway() + "/admin/usage?group_by=day,team&from=" + from + "&to=" + to, ADMIN).body());
        JsonNode groups = usage.path("groups");
        assertThat(driver.findElements(By.cssSelector("#spend-table tbody tr"))).hasSize(groups.size());
        boolean sawTeam = false;
        for (JsonNode g : groups) {
            String sel = "#spend-table tbody tr[data-day='" + g.path("day").asText() + "'][data-team='" + g.path("team").asText() + "']";
            List<WebElement> cells = driver.findElement(By.cssSelector(sel)).findElements(By.tagName("td"));
            assertThat(cells.get(2).getText()).isEqualTo(g.path("requests").asText());
            assertThat(cells.get(3).getText()).isEqualTo(g.path("prompt_tokens").asText());
            assertThat(cells.get(4).getText()).isEqualTo(g.path("completion_tokens").asText());
            assertThat(cells.get(5).getText()).isEqualTo("$" + g.path("team_charge_usd").asText());
            assertThat(cells.get(6).getText()).isEqualTo("$" + g.path("provider_cost_usd").asText());
            assertThat(cells.get(7).getText()).isEqualTo("$" + g.path("baseline_cost_usd").asText());
            if (g.path("team").asText().equals(TEAM)) {
                sawTeam = true;
                assertThat(g.path("requests").asInt()).isEqualTo(3);
                assertThat(g.path("team_charge_usd").asText()).isEqualTo("0.000225"); // 3 x 75 micro-USD
            }
        }
        assertThat(sawTeam).as("the API reports %s's usage", TEAM).isTrue();
        // The footer's exact sum equals the API's total for the same period.
        List<WebElement> foot = driver.findElements(By.cssSelector("#spend-table tfoot td"));
        assertThat(foot.get(3).getText()).isEqualTo("$" + usage.path("total").path("team_charge_usd").asText());
        assertThat(foot.get(0).getText()).isEqualTo(usage.path("total").path("requests").asText());
        JsonNode savings = Http.json(Http.get(Http.gateway() + "/admin/savings?period=day&from=" + from + "&to=" + to, ADMIN).body());
        assertThat(driver.findElement(By.id("savings-total")).getText()).contains("$" + savings.path("saving_usd").asText());
        shot("2-spend");

        // The budget on the chart: TEAM's limit is a dashed line, and the legend has the limit, spent and used share
        // as GET /admin/teams/{team}/budget has them (spent is the budget's own accounting, refreshed about once a
        // second, so the API is read right before comparing and the page reloaded until both agree).
        String limitLine = "#spend-chart svg line.limit[data-team='" + TEAM + "']";
        JsonNode budget = untilPageShowsBudget(limitLine, b -> {
            WebElement line = driver.findElement(By.cssSelector(limitLine));
            String legend = driver.findElement(By.cssSelector("#spend-chart .legend [data-budget='" + TEAM + "']")).getText();
            return b.path("limit_usd").asText().equals(line.getDomAttribute("data-limit-usd"))
                    && b.path("spent_usd").asText().equals(line.getDomAttribute("data-spent-usd"))
                    && legend.contains(chartBudgetText(b));
        });
        assertThat(budget.path("limit_usd").asText()).isEqualTo("0.000400");
        assertThat(budget.path("period").asText()).isEqualTo("monthly");
        assertThat(budget.path("enforcement").asText()).isEqualTo("soft");
        assertThat(new java.math.BigDecimal(budget.path("spent_usd").asText())).as("the budget saw TEAM's requests")
                .isGreaterThan(java.math.BigDecimal.ZERO);
        assertThat(driver.findElements(By.cssSelector("#spend-chart svg line.limit[data-team='" + OTHER + "']"))).isEmpty();
        shot("2b-spend-with-budget-line");

        // The budget bar: the same figures, and its value is the API's used_percent (spent plus reserved).
        driver.findElement(By.id("tab-budgets")).click();
        String teamCard = "#budget-list li[data-team='" + TEAM + "']";
        budget = untilPageShowsBudget(teamCard + " [role='progressbar']", b -> {
            WebElement bar = driver.findElement(By.cssSelector(teamCard + " [role='progressbar']"));
            String summary = driver.findElement(By.cssSelector(teamCard + " [data-field='summary']")).getText();
            String detail = driver.findElement(By.cssSelector(teamCard + " [data-field='detail']")).getText();
            java.math.BigDecimal reserved = new java.math.BigDecimal(b.path("reserved_usd").asText());
            return summary.equals(cardBudgetText(b))
                    && new java.math.BigDecimal(bar.getDomAttribute("aria-valuenow")).compareTo(
                            new java.math.BigDecimal(b.path("used_percent").asText()).min(java.math.BigDecimal.valueOf(100))) == 0
                    && detail.contains("$" + b.path("remaining_usd").asText() + " remaining; " + b.path("used_percent").asText() + "% used including reserved.")
                    && (reserved.signum() == 0 || detail.contains("$" + b.path("reserved_usd").asText() + " reserved"));
        });
        assertThat(driver.findElement(By.cssSelector(teamCard)).getText())
                .contains("enforcement: soft").contains("alerts at 50%, 100%");
        assertThat(driver.findElement(By.cssSelector("#budget-list li[data-team='" + OTHER + "']")).getText()).contains("No budget.");
        assertThat(driver.findElements(By.cssSelector("#budget-list li[data-team='" + OTHER + "']"))).hasSize(1);
        assertThat(driver.findElement(By.cssSelector("#budget-list li[data-team='console-xss'] h3")).getText())
                .isEqualTo("<img src=x onerror=window.__xss=1> (console-xss)");
        assertThat(driver.findElements(By.cssSelector("#budget-list img"))).isEmpty();
        assertThat(((JavascriptExecutor) driver).executeScript("return window.__xss === undefined")).isEqualTo(true);
        shot("3-budgets");

        // Migrations: promote from the first stage, then pause; the page and the API agree; a refused action shows the 409's message.
        driver.findElement(By.id("tab-migrations")).click();
        String card = "#migration-list li[data-route='migrate-test']";
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector(card)));
        assertThat(field(card, "status")).isEqualTo("active");
        assertThat(field(card, "open_percent")).isEqualTo("10%");
        assertThat(driver.findElements(By.cssSelector(card + " svg.step path"))).hasSize(1);
        shot("4-migrations-before");

        driver.findElement(By.id("mig-migrate-test-reason")).sendKeys("looks good in the console");
        driver.findElement(By.cssSelector(card + " button[data-action='promote']")).click();
        wait.until(d -> field(card, "open_percent").equals("50%"));
        assertThat(field(card, "stage")).isEqualTo("2 of 3");
        JsonNode m = migration();
        assertThat(m.path("stage_index").asInt()).isEqualTo(1);
        assertThat(m.path("open_percent").asInt()).isEqualTo(50);
        assertThat(m.path("history").findValuesAsText("reason")).contains("looks good in the console");

        driver.findElement(By.cssSelector(card + " button[data-action='pause']")).click();
        wait.until(d -> field(card, "status").equals("paused"));
        assertThat(migration().path("status").asText()).isEqualTo("paused");

        driver.findElement(By.cssSelector(card + " button[data-action='pause']")).click();
        WebElement refused = wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector(card + " [data-role='message'].error")));
        HttpResponse<String> api409 = Http.post(Http.gateway() + "/admin/migrations/migrate-test/pause", ADMIN, "{}");
        assertThat(api409.statusCode()).isEqualTo(409);
        assertThat(refused.getText()).contains(Http.json(api409.body()).path("error").path("message").asText());
        assertThat(field(card, "status")).isEqualTo("paused");
        shot("5-migrations-after");

        // Statements: this month's statement for tiny-lab shows the API's figures; its lines add up to its share; the
        // CSV link downloads (with the admin key in a header) exactly what the API exports; closing this month is refused.
        String period = java.time.YearMonth.now(java.time.ZoneOffset.UTC).toString();
        JsonNode st = null;
        for (JsonNode s : Http.json(Http.get(Http.gateway() + "/admin/statements?period=" + period, ADMIN).body()).path("data")) {
            if (s.path("author_id").asText().equals("tiny-lab")) st = s;
        }
        assertThat(st).as("a statement for tiny-lab in %s", period).isNotNull();
        assertThat(st.path("status").asText()).isEqualTo("open");
        assertThat(st.path("share_micros").asLong()).isPositive();
        String id = st.path("id").asText();
        driver.findElement(By.id("tab-statements")).click();
        String row = "#statements-table tr[data-statement='" + id + "']";
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector(row)));
        assertThat(driver.findElement(By.id("statement-period")).getDomProperty("value")).isEqualTo(period);
        assertThat(driver.findElement(By.cssSelector(row + " [data-field='share_usd']")).getText()).isEqualTo("$" + st.path("share_usd").asText());
        assertThat(driver.findElement(By.cssSelector(row + " [data-field='billed_usd']")).getText()).isEqualTo("$" + st.path("billed_usd").asText());
        assertThat(driver.findElement(By.cssSelector(row + " [data-field='status']")).getText()).isEqualToIgnoringCase("open");
        assertThat(driver.findElement(By.cssSelector(row)).getText()).contains("Tiny Lab (tiny-lab)").contains(st.path("requests").asText());

        driver.findElement(By.cssSelector(row + " button[data-action='details']")).click();
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#statement-lines tbody tr[data-line]")));
        JsonNode full = Http.json(Http.get(Http.gateway() + "/admin/statements/" + id, ADMIN).body());
        assertThat(driver.findElements(By.cssSelector("#statement-lines tbody tr[data-line]"))).hasSize(full.path("lines").size());
        assertThat(driver.findElement(By.cssSelector("#statement-lines tfoot [data-field='share']")).getText())
                .isEqualTo("$" + full.path("share_usd").asText());
        shot("6-statements");

        HttpResponse<String> apiCsv = Http.get(Http.gateway() + "/admin/statements/" + id + "?format=csv", ADMIN);
        assertThat(apiCsv.statusCode()).isEqualTo(200);
        assertThat(apiCsv.body()).startsWith("statement_id,").contains(id);
        WebElement csvLink = driver.findElement(By.cssSelector(row + " a[data-action='csv']"));
        assertThat(csvLink.getDomAttribute("href")).isEqualTo("/admin/statements/" + id + "?format=csv");
        csvLink.click();
        Path file = downloads.resolve(id + ".csv");
        new WebDriverWait(driver, Duration.ofSeconds(10)).until(d -> Files.isRegularFile(file) && !Files.exists(downloads.resolve(id + ".csv.crdownload")));
        wait.until(d -> {
            try { return Files.readString(file).equals(apiCsv.body()); } catch (IOException e) { return false; }
        });
        assertThat(driver.findElements(By.cssSelector("#statements-message .error"))).isEmpty();

        driver.findElement(By.cssSelector("#statement-close button[data-action='close']")).click();
        wait.until(ExpectedConditions.alertIsPresent()).accept();
        WebElement closeRefused = wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#statement-close [data-role='message'] .error")));
        HttpResponse<String> close409 = Http.post(Http.gateway() + "/admin/statements/" + period + "/close", ADMIN, "");
        assertThat(close409.statusCode()).isEqualTo(409);
        assertThat(closeRefused.getText()).contains(Http.json(close409.body()).path("error").path("message").asText());

        // Log out: the key leaves sessionStorage and the sign-in form is back.
        driver.findElement(By.id("logout")).click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("admin-key")));
        assertThat(sessionKey()).isNull();
        resetMigration();
    }

    /**
     * The migration report page: reached from the migration's card, it shows the API report's periods with their
     * evidence and what ended them, the decision trail, the open share per time bucket and the savings so far.
     */
    @Test
    void migrationReportPageShowsEvidencePerStageTheTrailTheOpenShareAndSavings() throws Exception {
        resetMigration();
        String key = Http.newKey("console-report-team");
        for (int u = 0; u < 12; u++) {
            HttpResponse<String> r = Http.post(Http.gateway() + "/v1/chat/completions", key,
                    "{\"model\":\"migrate-test\",\"user\":\"report-user-" + u + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi there\"}]}");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(metering.writer().awaitDrained(Duration.ofSeconds(10))).isTrue();
            String id = r.headers().firstValue("x-gateway-request-id").orElseThrow();
            assertThat(Http.post(Http.gateway() + "/v1/feedback", key, "{\"request_id\":\"" + id + "\",\"score\":0.9}").statusCode()).isEqualTo(200);
        }
        assertThat(Http.post(Http.gateway() + "/admin/migrations/migrate-test/promote", ADMIN, "{\"reason\":\"report test promote\"}")
                .statusCode()).isEqualTo(200);
        chat(key, "migrate-test");
        assertThat(metering.writer().awaitDrained(Duration.ofSeconds(10))).isTrue();
        JsonNode report = Http.json(Http.get(Http.gateway() + "/admin/migrations/migrate-test/report", ADMIN).body());

        driver.get(Http.gateway() + "/console/");
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("admin-key"))).sendKeys(ADMIN);
        driver.findElement(By.id("login-submit")).click();
        wait.until(ExpectedConditions.invisibilityOfElementLocated(By.id("login")));
        driver.findElement(By.id("tab-migrations")).click();
        String card = "#migration-list li[data-route='migrate-test']";
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector(card + " a[data-role='report']"))).click();
        wait.until(ExpectedConditions.presenceOfElementLocated(By.id("report-periods")));
        assertThat(driver.getCurrentUrl()).endsWith("#migrations/migrate-test");
        assertThat(driver.findElement(By.id("tab-migrations")).getDomAttribute("aria-selected")).isEqualTo("true");

        // Periods: one row per period of the API's report, the promoted one ended by the operator with the reason.
        List<WebElement> rows = driver.findElements(By.cssSelector("#report-periods tbody tr"));
        assertThat(rows).hasSize(report.path("periods").size());
        JsonNode promoted = null;
        int promotedRow = -1;
        for (int i = 0; i < report.path("periods").size(); i++) {
            JsonNode p = report.path("periods").get(i);
            if (p.path("ended_by").path("reason").asText().equals("report test promote")) { promoted = p; promotedRow = i; }
        }
        assertThat(promoted).as("the period ended by the promotion").isNotNull();
        WebElement row = rows.get(promotedRow);
        assertThat(row.findElement(By.cssSelector("[data-field='ended-by']")).getText()).isEqualTo("promote (admin): report test promote");
        JsonNode fb = promoted.path("evidence").path("feedback");
        assertThat(fb.path("open").path("users").asLong() + fb.path("closed").path("users").asLong()).isEqualTo(12);
        List<WebElement> cells = row.findElements(By.tagName("td"));
        assertThat(cells.get(6).getText()).isEqualTo(fb.path("open").path("users").asLong() + " / " + fb.path("closed").path("users").asLong());
        JsonNode tr = promoted.path("evidence").path("traffic");
        assertThat(cells.get(4).getText()).isEqualTo(tr.path("open").path("requests").asLong() + " / " + tr.path("closed").path("requests").asLong());
        assertThat(rows.get(rows.size() - 1).findElements(By.tagName("td")).get(3).getText()).isEqualTo("now");

        // The decision trail, the open share chart (one bar per bucket), the savings and the next decision.
        assertThat(driver.findElements(By.cssSelector("#decision-trail li"))).hasSize(report.path("decision_trail").size());
        assertThat(driver.findElements(By.cssSelector("#decision-trail li[data-kind='promote'][data-actor='admin']"))).isNotEmpty();
        assertThat(driver.findElements(By.cssSelector("#open-share svg rect.share-bar"))).hasSize(report.path("open_share").path("buckets").size());
        assertThat(report.path("open_share").path("buckets").size()).isPositive();
        assertThat(driver.findElement(By.cssSelector("[data-field='savings']")).getText())
                .isEqualTo("Saved $" + report.path("savings_usd").asText() + " so far against primary.");
        assertThat(driver.findElement(By.cssSelector("[data-field='next-decision']")).getText())
                .startsWith("Next decision: " + report.path("next_decision").path("verdict").asText());
        shot("7-migration-report");
        resetMigration();
    }

    /**
     * Teams, keys and the request log: a team created and given a budget on the Teams page, a key created on the Keys
     * page (its secret shown once and working), rotated (both secrets work during the overlap) and revoked (refused),
     * then the request log filtered to the team shows the API's records with their routing decision, and the team is
     * deleted. Every step is checked against the admin API and real requests.
     */
    @Test
    void teamsKeysAndRequestLogPages() throws Exception {
        String team = "console-keys";
        driver.get(Http.gateway() + "/console/");
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("admin-key"))).sendKeys(ADMIN);
        driver.findElement(By.id("login-submit")).click();
        wait.until(ExpectedConditions.invisibilityOfElementLocated(By.id("login")));

        // Create a team with a rate limit, then give it a budget from its edit form.
        driver.findElement(By.id("tab-teams")).click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("team-new-id"))).sendKeys(team);
        driver.findElement(By.id("team-new-name")).sendKeys("Console keys");
        driver.findElement(By.id("team-new-rpm")).sendKeys("100");
        driver.findElement(By.id("team-create")).click();
        String teamRow = "#teams-table tr[data-team='" + team + "']";
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector(teamRow)));
        assertThat(driver.findElement(By.cssSelector(teamRow + " [data-field='limits']")).getText()).isEqualTo("100 rpm");
        JsonNode apiTeam = Http.json(Http.get(Http.gateway() + "/admin/teams/" + team, ADMIN).body());
        assertThat(apiTeam.path("name").asText()).isEqualTo("Console keys");
        assertThat(apiTeam.path("limits").path("rpm").asLong()).isEqualTo(100);

        driver.findElement(By.cssSelector(teamRow + " button[data-action='edit']")).click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("team-edit-budget-usd"))).sendKeys("5.00");
        driver.findElement(By.id("team-save")).click();
        wait.until(d -> d.findElement(By.cssSelector(teamRow + " [data-field='budget']")).getText().contains("$5.000000"));
        JsonNode apiBudget = Http.json(Http.get(Http.gateway() + "/admin/teams/" + team + "/budget", ADMIN).body());
        assertThat(apiBudget.path("limit_usd").asText()).isEqualTo("5.000000");
        assertThat(apiBudget.path("enforcement").asText()).isEqualTo("hard");
        shot("8-teams");

        // Create a key: the secret is shown once and works.
        driver.findElement(By.cssSelector(teamRow + " a[data-action='keys']")).click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("key-new-name"))).sendKeys("browser");
        driver.findElement(By.id("key-new-description")).sendKeys("made in the browser");
        driver.findElement(By.id("key-create")).click();
        WebElement secretEl = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("key-secret")));
        String first = secretEl.getText();
        String keyId = secretEl.getDomAttribute("data-key");
        assertThat(first).startsWith("gw-");
        chat(first, "gpt-test");
        String keyRow = "#keys-table tr[data-key='" + keyId + "']";
        assertThat(driver.findElement(By.cssSelector(keyRow + " [data-field='status']")).getText()).isEqualToIgnoringCase("active");
        assertThat(driver.findElement(By.cssSelector(keyRow + " [data-field='description']")).getText()).isEqualTo("made in the browser");
        JsonNode apiKeys = Http.json(Http.get(Http.gateway() + "/admin/teams/" + team + "/keys", ADMIN).body());
        assertThat(apiKeys.path("data")).hasSize(1);
        assertThat(apiKeys.path("data").get(0).path("id").asText()).isEqualTo(keyId);
        assertThat(apiKeys.path("data").get(0).toString()).doesNotContain(first);

        // Rotate with a one-hour overlap: a new secret is shown, and both work.
        new org.openqa.selenium.support.ui.Select(driver.findElement(By.id("rotate-overlap"))).selectByValue("1h");
        driver.findElement(By.cssSelector(keyRow + " button[data-action='rotate']")).click();
        wait.until(d -> !d.findElement(By.id("key-secret")).getText().equals(first));
        String second = driver.findElement(By.id("key-secret")).getText();
        assertThat(second).startsWith("gw-");
        assertThat(driver.findElement(By.id("key-overlap")).getText()).contains("previous secret keeps working until");
        assertThat(driver.findElement(By.cssSelector(keyRow + " [data-field='overlap']")).getText()).startsWith("old secret until");
        chat(first, "gpt-test");
        chat(second, "gpt-test");
        shot("9-keys-rotated");

        // Revoke: both secrets are refused at once.
        driver.findElement(By.cssSelector(keyRow + " button[data-action='revoke']")).click();
        wait.until(ExpectedConditions.alertIsPresent()).accept();
        wait.until(d -> d.findElement(By.cssSelector(keyRow + " [data-field='status']")).getText().equalsIgnoreCase("revoked"));
        for (String secret : List.of(first, second)) {
            HttpResponse<String> r = Http.post(Http.gateway() + "/v1/chat/completions", secret,
                    "{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
            assertThat(r.statusCode()).isEqualTo(401);
        }
        assertThat(Http.json(Http.get(Http.gateway() + "/admin/keys/" + keyId, ADMIN).body()).path("status").asText()).isEqualTo("revoked");

        // The request log, filtered to the team and to successes: the API's records, each with its routing decision.
        assertThat(metering.writer().awaitDrained(Duration.ofSeconds(10))).isTrue();
        driver.findElement(By.id("tab-requests")).click();
        new org.openqa.selenium.support.ui.Select(wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("req-team")))).selectByValue(team);
        new org.openqa.selenium.support.ui.Select(driver.findElement(By.id("req-status"))).selectByValue("ok");
        driver.findElement(By.id("requests-apply")).click();
        JsonNode log = Http.json(Http.get(Http.gateway() + "/admin/requests?team=" + team + "&status=ok", ADMIN).body());
        assertThat(log.path("data")).hasSize(3);
        wait.until(d -> d.findElements(By.cssSelector("#requests-table tbody tr[data-team='" + team + "']")).size() == 3);
        assertThat(driver.findElements(By.cssSelector("#requests-table tbody tr[data-request]"))).hasSize(3);
        for (JsonNode rec : log.path("data")) {
            String row = "#requests-table tr[data-request='" + rec.path("request_id").asText() + "']";
            assertThat(driver.findElement(By.cssSelector(row + " [data-field='route']")).getText()).isEqualTo("gpt-test");
            assertThat(driver.findElement(By.cssSelector(row + " [data-field='attempts']")).getText()).isEqualTo("primary:200");
            assertThat(driver.findElement(By.cssSelector(row + " [data-field='deployment']")).getText()).startsWith("primary");
            assertThat(driver.findElement(By.cssSelector(row + " [data-field='policy']")).getText()).startsWith(rec.path("policy").asText());
            assertThat(driver.findElement(By.cssSelector(row + " [data-field='cost']")).getText()).isEqualTo("$" + rec.path("team_charge_usd").asText());
        }
        shot("10-request-log");
        new org.openqa.selenium.support.ui.Select(driver.findElement(By.id("req-status"))).selectByValue("error");
        driver.findElement(By.id("requests-apply")).click();
        wait.until(d -> d.findElement(By.cssSelector("#requests-table tbody")).getText().contains("No requests match."));
        assertThat(driver.findElements(By.cssSelector("#requests-table tbody tr[data-request]"))).isEmpty();

        // Delete the team: it leaves the list; its usage stays.
        driver.findElement(By.id("tab-teams")).click();
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector(teamRow + " button[data-action='delete']"))).click();
        wait.until(ExpectedConditions.alertIsPresent()).accept();
        wait.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector(teamRow), 0));
        assertThat(Http.get(Http.gateway() + "/admin/teams/" + team, ADMIN).statusCode()).isEqualTo(404);
        assertThat(Http.json(Http.get(Http.gateway() + "/admin/usage?team=" + team, ADMIN).body()).path("total").path("requests").asLong())
                .isEqualTo(3);
    }

    private static void chat(String key, String route) {
        HttpResponse<String> r = Http.post(Http.gateway() + "/v1/chat/completions", key,
                "{\"model\":\"" + route + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi there\"}]}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    private static JsonNode budget() {
        HttpResponse<String> r = Http.get(Http.gateway() + "/admin/teams/" + TEAM + "/budget", ADMIN);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Http.json(r.body());
    }

    /** The chart legend's wording of a monthly budget: "$0.000400 per month, $0.000225 spent (56.25%)". */
    private static String chartBudgetText(JsonNode b) {
        assertThat(b.path("period").asText()).isEqualTo("monthly");
        return "$" + b.path("limit_usd").asText() + " per month, $" + b.path("spent_usd").asText() + " spent (" + spentPercent(b) + "%)";
    }

    /** The budget card's summary: "$0.000225 spent of $0.000400 per month (56.25%).". */
    private static String cardBudgetText(JsonNode b) {
        assertThat(b.path("period").asText()).isEqualTo("monthly");
        return "$" + b.path("spent_usd").asText() + " spent of $" + b.path("limit_usd").asText() + " per month (" + spentPercent(b) + "%).";
    }

    /** spent / limit in percent, two decimals rounded down (the API's used_percent also counts what is reserved). */
    private static String spentPercent(JsonNode b) {
        java.math.BigInteger spent = new java.math.BigDecimal(b.path("spent_usd").asText()).movePointRight(6).toBigIntegerExact();
        java.math.BigInteger limit = new java.math.BigDecimal(b.path("limit_usd").asText()).movePointRight(6).toBigIntegerExact();
        return new java.math.BigDecimal(spent.multiply(java.math.BigInteger.valueOf(10_000)).divide(limit), 2).toPlainString();
    }

    /**
     * Waits for the page to show TEAM's budget as the API has it right now: reads the API, then the page, and reloads
     * the page when they differ (the budget's spent figure is flushed about once a second). Returns the budget shown.
     */
    private JsonNode untilPageShowsBudget(String readySelector, java.util.function.Predicate<JsonNode> shown) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (true) {
            wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector(readySelector)));
            JsonNode b = budget();
            if (shown.test(b)) return b;
            assertThat(System.nanoTime()).as("the page never showed the budget the API reports: %s", b).isLessThan(deadline);
            Thread.sleep(250);
            driver.navigate().refresh();
        }
    }

    private static JsonNode migration() {
        return Http.json(Http.get(Http.gateway() + "/admin/migrations/migrate-test", ADMIN).body());
    }

    /** Back to the first stage, active (other tests share this gateway and reset it the same way). */
    private static void resetMigration() {
        JsonNode m = migration();
        if (!m.path("status").asText().equals("active") || m.path("stage_index").asInt() != 0) {
            Http.post(Http.gateway() + "/admin/migrations/migrate-test/rollback", ADMIN, "{\"reason\":\"console test reset\"}");
            Http.post(Http.gateway() + "/admin/migrations/migrate-test/resume", ADMIN, "{\"reason\":\"console test reset\"}");
        }
        assertThat(migration().path("open_percent").asInt()).isEqualTo(10);
    }

    private String field(String card, String name) {
        return driver.findElement(By.cssSelector(card + " [data-field='" + name + "']")).getDomProperty("textContent");
    }

    private String sessionKey() {
        return (String) ((JavascriptExecutor) driver).executeScript("return sessionStorage.getItem('gateway.console.adminKey')");
    }

    private void shot(String name) throws IOException {
        File f = ((org.openqa.selenium.TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
        Files.copy(f.toPath(), SHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    }
}
