package dev.llmgateway.metering;

import static dev.llmgateway.metering.LedgerFixtures.open;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmgateway.metering.internal.usage.UsageEventSql;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LedgerTest {
    private static final Instant JUNE = Instant.parse("2025-06-01T00:00:00Z");
    private static final YearMonth JAN = YearMonth.of(2025, 1);
    private static final YearMonth FEB = YearMonth.of(2025, 2);

    @Test
    void commercialRequestPostsOneBalancedTransactionWithChargeAndShare() {
        LedgerFixtures f = new LedgerFixtures();
        f.license("mistral", "cloud-share", LedgerFixtures.revenueShare(1000, Set.of(UseClass.RESEARCH)));

        LedgerPoster.PostReport r = f.poster.post(List.of(open("r1", "2025-01-10T10:00:00Z", "acme", "u1", "cloud-share", 4205)));

        assertThat(r.posted()).isEqualTo(1);
        Ledger.Transaction tx = f.ledger.forRequest("r1").orElseThrow();
        assertThat(tx.period()).isEqualTo("2025-01");
        assertThat(tx.entries()).containsExactly(
                LedgerEntry.debit("team:acme:receivable", 4205), LedgerEntry.credit("operator:revenue", 4205),
                // 10% of 4205 is 420.5 micro-USD, kept exactly (no per-request rounding)
                LedgerEntry.debit("operator:revshare_expense", MicroUsd.of(4205, 1)),
                LedgerEntry.credit("author:mistral:payable", MicroUsd.of(4205, 1)));
        assertThat(f.ledger.trialBalance().balanced()).isTrue();
    }

    @Test
    void replayingUsagePostsNothingTwice() {
        LedgerFixtures f = new LedgerFixtures();
        f.license("mistral", "cloud-share", LedgerFixtures.revenueShare(1000, Set.of()));
        List<UsageEvent> batch = List.of(open("r1", "2025-01-10T10:00:00Z", "acme", "u1", "cloud-share", 1000),
                open("r2", "2025-01-11T10:00:00Z", "acme", "u2", "cloud-share", 2000),
                open("r2", "2025-01-11T10:00:00Z", "acme", "u2", "cloud-share", 2000));
        f.poster.post(batch);
        Map<String, MicroUsd> before = f.ledger.balances();

        LedgerPoster.PostReport replay = f.poster.post(batch);

        assertThat(replay.posted()).isZero();
        assertThat(replay.alreadyPosted()).isEqualTo(3);
        assertThat(f.ledger.balances()).isEqualTo(before).containsEntry("author:mistral:payable", MicroUsd.ofMicros(-300));
        assertThat(f.scalar("SELECT count(*) FROM ledger_transactions")).isEqualTo(2);
    }

    @Test
    void researchTeamOwesNothingUnderAFreeUseClassButItsRevenueIsRecorded() {
        LedgerFixtures f = new LedgerFixtures();
        f.license("mistral", "cloud-share", LedgerFixtures.revenueShare(1000, Set.of(UseClass.RESEARCH)));

        f.poster.post(List.of(open("r1", "2025-01-10T10:00:00Z", "lab", "u1", "cloud-share", 5000)));

        assertThat(f.ledger.forRequest("r1").orElseThrow().entries()).containsExactly(
                LedgerEntry.debit("team:lab:receivable", 5000), LedgerEntry.credit("operator:revenue", 5000));
        Statement s = f.statements(JUNE).statements(JAN).getFirst();
        assertThat(s.shareMicros()).isEqualTo(MicroUsd.ZERO);
        assertThat(s.billedMicros()).isEqualTo(MicroUsd.ofMicros(5000));
        assertThat(s.lines().getFirst().useClass()).contains(UseClass.RESEARCH);
    }

    @Test
    void permissiveLicenseOwesNothing() {
        LedgerFixtures f = new LedgerFixtures();
        f.license("apache-lab", "apache-model", LicenseTemplates.get("permissive").orElseThrow().conditions());

        f.poster.post(List.of(open("r1", "2025-01-10T10:00:00Z", "acme", "u1", "apache-model", 5000)));
        StatementService.CloseReport close = f.statements(JUNE).close(JAN);

        assertThat(close.statements().getFirst().shareMicros()).isEqualTo(MicroUsd.ZERO);
        assertThat(f.ledger.balances()).doesNotContainKey("author:apache-lab:payable");
    }

    @Test
    void shadowClosedAndUnlicensedUsageStaysOutOfTheLedger() {
        LedgerFixtures f = new LedgerFixtures();
        f.license("mistral", "cloud-share", LedgerFixtures.revenueShare(1000, Set.of()));
        UsageEvent base = open("r1", "2025-01-10T10:00:00Z", "acme", "u1", "cloud-share", 1000);
        UsageEvent shadow = UsageEvent.builder("s1", base.time()).team("acme", null).route("chat", null, null)
                .deployment("llama-70b", "vllm", null, DeploymentClass.OPEN).money(0, 1000, 0).shadow(true).licenseId("cloud-share").build();
        UsageEvent closed = UsageEvent.builder("c1", base.time()).team("acme", null).route("chat", null, null)
                .deployment("gpt-4o", "openai", null, DeploymentClass.CLOSED).money(0, 1000, 0).build();
        UsageEvent unlicensed = UsageEvent.builder("u1", base.time()).team("acme", null).route("chat", null, null)
                .deployment("qwen", "vllm", null, DeploymentClass.OPEN).money(0, 1000, 0).build();

        LedgerPoster.PostReport r = f.poster.post(List.of(shadow, closed, unlicensed));

        assertThat(r.notBillable()).isEqualTo(3);
        assertThat(f.scalar("SELECT count(*) FROM ledger_transactions")).isZero();
    }

    @Test
    void theDatabaseRefusesUpdateDeleteAndTruncateOnLedgerTables() {
        LedgerFixtures f = new LedgerFixtures();
        f.license("mistral", "cloud-share", LedgerFixtures.revenueShare(1000, Set.of()));
        f.poster.post(List.of(open("r1", "2025-01-10T10:00:00Z", "acme", "u1", "cloud-share", 1000)));

        for (String sql : List.of("UPDATE ledger_entries SET amount_micros = 1", "DELETE FROM ledger_entries",
                "TRUNCATE ledger_entries CASCADE", "UPDATE ledger_transactions SET memo = 'x'", "DELETE FROM ledger_transactions",
                "TRUNCATE ledger_transactions CASCADE")) {
            assertThat(f.tryExecute(sql)).as(sql).contains("append-only");
        }
        assertThat(f.scalar("SELECT sum(amount_micros) FROM ledger_entries")).isEqualTo(2200);
    }

    @Test
    void theDatabaseRefusesAnUnbalancedTransactionAtCommit() throws SQLException {
        LedgerFixtures f = new LedgerFixtures();
        f.license("mistral", "cloud-share", LedgerFixtures.revenueShare(1000, Set.of()));
        try (Connection c = f.db.getConnection(); java.sql.Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            s.execute("INSERT INTO ledger_transactions (id, idempotency_key, kind, request_id, period, usage_period, usage_time, "
                    + "license_id, license_version, author_id, requests) VALUES (9, 'usage:x', 'usage', 'x', '2025-01', '2025-01', "
                    + "now(), 'cloud-share', 1, 'mistral', 1)");
            s.execute("INSERT INTO ledger_entries (tx_id, account, side, amount_micros) VALUES (9, 'team:acme:receivable', 'debit', 100)");
            s.execute("INSERT INTO ledger_entries (tx_id, account, side, amount_micros) VALUES (9, 'operator:revenue', 'credit', 99)");
            assertThatThrownBy(c::commit).hasMessageContaining("does not balance");
        }
        assertThat(f.scalar("SELECT count(*) FROM ledger_transactions")).isZero();
    }

    @Test
    void theCodeRefusesToBuildAnUnbalancedTransaction() {
        assertThatThrownBy(() -> new dev.llmgateway.metering.internal.ledger.PendingTransaction("k", "usage", "r", null, JAN, JAN,
                Instant.EPOCH, "acme", UseClass.COMMERCIAL, "d", "l", 1, "a", 0, 0, 1, "",
                List.of(LedgerEntry.debit("operator:revenue", 2), LedgerEntry.credit("author:a:payable", 1))))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("balances");
    }

    @Test
    void belowTheUsersThresholdUsageIsFreeAndAboveItTheWholeMonthIsCharged() {
        LedgerFixtures f = new LedgerFixtures();
        f.license("meta", "llama", LedgerFixtures.mauThreshold(2, 1000));
        // January: users u1, u2 (at the threshold, not above), then u3 crosses it on the 20th.
        f.poster.post(List.of(open("j1", "2025-01-05T00:00:00Z", "acme", "u1", "llama", 10_000),
                open("j2", "2025-01-06T00:00:00Z", "acme", "u2", "llama", 10_000)));
        assertThat(f.ledger.balances()).doesNotContainKey("author:meta:payable");
        f.poster.post(List.of(open("j3", "2025-01-20T00:00:00Z", "acme", "u3", "llama", 10_000)));
        // Provisional: only the request that crossed owes so far.
        assertThat(f.ledger.balances()).containsEntry("author:meta:payable", MicroUsd.ofMicros(-1000));
        // February: two users only, never above the threshold.
        f.poster.post(List.of(open("f1", "2025-02-05T00:00:00Z", "acme", "u1", "llama", 10_000),
                open("f2", "2025-02-06T00:00:00Z", "globex", "u1", "llama", 10_000)));

        StatementService statements = f.statements(JUNE);
        StatementService.CloseReport jan = statements.close(JAN);
        StatementService.CloseReport feb = statements.close(FEB);

        assertThat(jan.thresholdAdjustmentMicros()).isEqualTo(MicroUsd.ofMicros(2000));
        assertThat(jan.statements().getFirst().shareMicros()).isEqualTo(MicroUsd.ofMicros(3000));
        assertThat(jan.statements().getFirst().lines()).extracting(StatementLine::kind)
                .containsExactly(StatementLine.Kind.THRESHOLD_ADJUSTMENT, StatementLine.Kind.USAGE);
        assertThat(feb.statements().getFirst().shareMicros()).isEqualTo(MicroUsd.ZERO);
        assertThat(feb.statements().getFirst().billedMicros()).isEqualTo(MicroUsd.ofMicros(20_000));
        assertThat(f.unbalancedTransactions()).isZero();
    }

    @Test
    void revenueAndTokenThresholdsSwitchTheObligationOnWhenExceeded() {
        LicenseConditions revenue = new LicenseConditions(Set.of(), new LicenseThresholds(OptionalLong.empty(), OptionalLong.of(15_000),
                OptionalLong.empty()), new LicenseObligation(1000, 0, 0), Attribution.NONE);
        LicenseConditions tokens = new LicenseConditions(Set.of(), new LicenseThresholds(OptionalLong.empty(), OptionalLong.empty(),
                OptionalLong.of(3000)), new LicenseObligation(0, 1_000_000, 0), Attribution.NONE);
        assertThat(revenue.obligationApplies(UseClass.COMMERCIAL, new LicensePeriodFigures(9, 15_000, 0))).isFalse();
        assertThat(revenue.obligationApplies(UseClass.COMMERCIAL, new LicensePeriodFigures(0, 15_001, 0))).isTrue();
        assertThat(RevenueShare.owed(tokens, UseClass.COMMERCIAL, new LicensePeriodFigures(0, 0, 3000), MicroUsd.ZERO, 1500)).isEqualTo(MicroUsd.ZERO);
        assertThat(RevenueShare.owed(tokens, UseClass.COMMERCIAL, new LicensePeriodFigures(0, 0, 3001), MicroUsd.ZERO, 1500)).isEqualTo(MicroUsd.ofMicros(1500));
    }

    @Test
    void closingFreezesStatementsAndLateUsageLandsInTheNextOpenPeriodWithItsDate() {
        LedgerFixtures f = new LedgerFixtures();
        f.license("mistral", "cloud-share", LedgerFixtures.revenueShare(1000, Set.of()));
        f.poster.post(List.of(open("j1", "2025-01-10T10:00:00Z", "acme", "u1", "cloud-share", 10_000)));
        StatementService statements = f.statements(JUNE);
        Statement closedJan = statements.close(JAN).statements().getFirst();

        f.poster.post(List.of(open("late", "2025-01-31T23:59:59Z", "acme", "u1", "cloud-share", 5_000),
                open("f1", "2025-02-02T00:00:00Z", "acme", "u1", "cloud-share", 2_000)));

        assertThat(statements.statements(JAN)).containsExactly(closedJan);
        Statement feb = statements.statement(Statement.idOf("mistral", FEB)).orElseThrow();
        assertThat(feb.status()).isEqualTo(Statement.Status.OPEN);
        StatementLine late = feb.lines().stream().filter(l -> l.kind() == StatementLine.Kind.LATE_USAGE).findFirst().orElseThrow();
        assertThat(late.usageDate()).contains(LocalDate.of(2025, 1, 31));
        assertThat(late.usagePeriod()).isEqualTo(JAN);
        assertThat(late.shareMicros()).isEqualTo(MicroUsd.ofMicros(500));
        assertThat(feb.shareMicros()).isEqualTo(MicroUsd.ofMicros(700));
        assertThat(closedJan.shareMicros().plus(feb.shareMicros())).isEqualTo(MicroUsd.ofMicros(1700));
        assertThat(f.tryExecute("UPDATE statements SET share_micros = 0")).contains("closed period");
        assertThat(f.tryExecute("DELETE FROM statement_lines")).contains("closed period");
        assertThat(f.tryExecute("DELETE FROM statement_periods")).contains("closed period");
    }

    @Test
    void nothingCanBePostedIntoAClosedPeriodEvenBySql() {
        LedgerFixtures f = new LedgerFixtures();
        f.license("mistral", "cloud-share", LedgerFixtures.revenueShare(1000, Set.of()));
        f.statements(JUNE).close(JAN);
        assertThat(f.tryExecute("INSERT INTO ledger_transactions (idempotency_key, kind, request_id, period, usage_period, "
                + "usage_time, license_id, license_version, author_id) VALUES ('usage:x', 'usage', 'x', '2025-01', '2025-01', now(), "
                + "'cloud-share', 1, 'mistral')")).contains("is closed");
    }

    @Test
    void aPeriodClosesOnlyAfterItEndsAndOnlyOnce() {
        LedgerFixtures f = new LedgerFixtures();
        StatementService early = f.statements(Instant.parse("2025-01-31T23:59:59Z"));
        assertThat(early.close(JAN).result()).isEqualTo(StatementService.CloseResult.NOT_ENDED);
        StatementService later = f.statements(Instant.parse("2025-02-01T00:00:00Z"));
        assertThat(later.close(JAN).result()).isEqualTo(StatementService.CloseResult.CLOSED);
        assertThat(later.close(JAN).result()).isEqualTo(StatementService.CloseResult.ALREADY_CLOSED);
        assertThat(later.closedPeriods()).containsExactly(JAN);
    }

    @Test
    void minimumPerPeriodIsToppedUpAtClose() {
        LedgerFixtures f = new LedgerFixtures();
        f.license("mistral", "min-share", new LicenseConditions(Set.of(UseClass.RESEARCH), LicenseThresholds.NONE,
                new LicenseObligation(1000, 0, 5_000), Attribution.NONE));
        f.poster.post(List.of(open("j1", "2025-01-10T10:00:00Z", "acme", "u1", "min-share", 10_000)));

        StatementService.CloseReport jan = f.statements(JUNE).close(JAN);

        assertThat(jan.minimumTopupMicros()).isEqualTo(MicroUsd.ofMicros(4_000));
        assertThat(jan.statements().getFirst().shareMicros()).isEqualTo(MicroUsd.ofMicros(5_000));
        assertThat(f.ledger.balances()).containsEntry("author:mistral:payable", MicroUsd.ofMicros(-5_000)).containsEntry("operator:revshare_expense", MicroUsd.ofMicros(5_000));
    }

    @Test
    void aReversalMirrorsTheEntriesIntoTheNextOpenPeriod() {
        LedgerFixtures f = new LedgerFixtures();
        f.license("mistral", "cloud-share", LedgerFixtures.revenueShare(1000, Set.of()));
        f.poster.post(List.of(open("j1", "2025-01-10T10:00:00Z", "acme", "u1", "cloud-share", 10_000)));
        f.statements(JUNE).close(JAN);
        long original = f.ledger.forRequest("j1").orElseThrow().id();

        f.poster.reverse(original, "refunded");

        assertThat(f.ledger.balances().values()).allMatch(MicroUsd::isZero);
        Statement feb = f.statements(JUNE).statement(Statement.idOf("mistral", FEB)).orElseThrow();
        assertThat(feb.lines()).singleElement().satisfies(l -> {
            assertThat(l.kind()).isEqualTo(StatementLine.Kind.REVERSAL);
            assertThat(l.requests()).isEqualTo(-1);
            assertThat(l.shareMicros()).isEqualTo(MicroUsd.ofMicros(-1000));
        });
        assertThatThrownBy(() -> f.poster.reverse(original, "again")).hasMessageContaining("already reversed");
    }

    @Test
    void postPendingHealsUsageStoredButNeverPosted() throws SQLException {
        LedgerFixtures f = new LedgerFixtures();
        f.license("mistral", "cloud-share", LedgerFixtures.revenueShare(1000, Set.of()));
        List<UsageEvent> stored = List.of(open("p1", "2025-01-10T10:00:00Z", "acme", "u1", "cloud-share", 1000),
                open("p2", "2025-01-11T10:00:00Z", "acme", "u1", "unregistered", 1000),
                open("p3", "2025-01-12T10:00:00Z", "globex", null, "cloud-share", 3000));
        try (Connection c = f.db.getConnection()) {
            UsageEventSql.insertNew(c, stored);
        }
        f.poster.post(List.of(stored.getFirst()));

        assertThat(f.poster.postPending(Instant.parse("2025-01-12T10:00:00.000001Z")).posted()).isZero();
        LedgerPoster.PostReport healed = f.poster.postPending();

        assertThat(healed.posted()).isEqualTo(1);
        assertThat(healed.unposted()).containsExactly(new LedgerPoster.Unposted("p2", LedgerPoster.Reason.UNKNOWN_LICENSE));
        f.registry.createLicense(new License("unregistered", "mistral", "late registration", null));
        f.registry.addTerms("unregistered", LedgerFixtures.TERMS_FROM, LedgerFixtures.revenueShare(500, Set.of()));
        assertThat(f.poster.postPending().posted()).isEqualTo(1);
        assertThat(f.poster.postPending().posted()).isZero();
        assertThat(f.ledger.balances()).containsEntry("author:mistral:payable", MicroUsd.ofMicros(-450));
    }

    @Test
    void termsInForceAreTheLatestVersionEffectiveAtTheRequestTime() {
        LedgerFixtures f = new LedgerFixtures();
        f.license("mistral", "cloud-share", LedgerFixtures.revenueShare(1000, Set.of()));
        LicenseTerms v2 = f.registry.addTerms("cloud-share", Instant.parse("2025-01-15T00:00:00Z"), LedgerFixtures.revenueShare(2000, Set.of()));

        assertThat(v2.version()).isEqualTo(2);
        assertThat(f.registry.termsAt("cloud-share", Instant.parse("2025-01-14T23:59:59Z")).orElseThrow().version()).isEqualTo(1);
        assertThat(f.registry.termsAt("cloud-share", Instant.parse("2025-01-15T00:00:00Z")).orElseThrow().version()).isEqualTo(2);
        assertThat(f.registry.termsAt("cloud-share", Instant.parse("2024-01-01T00:00:00Z"))).isEmpty();
        f.poster.post(List.of(open("a", "2025-01-14T12:00:00Z", "acme", "u1", "cloud-share", 10_000),
                open("b", "2025-01-16T12:00:00Z", "acme", "u1", "cloud-share", 10_000)));
        Statement jan = f.statements(JUNE).statements(JAN).getFirst();
        assertThat(jan.lines()).extracting(StatementLine::licenseVersion, StatementLine::shareMicros)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(1, MicroUsd.ofMicros(1000)), org.assertj.core.groups.Tuple.tuple(2, MicroUsd.ofMicros(2000)));
        assertThat(f.registry.terms("cloud-share")).hasSize(2);
        assertThat(f.registry.authors()).extracting(Author::id).containsExactly("mistral");
        assertThat(f.registry.createLicense(new License("x", "nobody", "x", null))).isEqualTo(LicenseRegistry.CreateResult.UNKNOWN_AUTHOR);
    }

    @Test
    void workedExampleOfTheBillingGuideComputesExactly() {
        LedgerFixtures f = new LedgerFixtures();
        f.license("lab", "cloud-share", LedgerFixtures.revenueShare(1000, Set.of(UseClass.RESEARCH)));
        PriceVersion price = new PriceVersion(1, "open-8b", DeploymentClass.OPEN, LedgerFixtures.TERMS_FROM,
                TokenPrices.parseUsdPerMTok("0.20", "0.60", "0.20"), Optional.empty(), 0);
        MicroUsd charge = price.teamCharge(new TokenCounts(1200, 300, 0)).orThrow();
        assertThat(charge).isEqualTo(MicroUsd.ofMicros(420));
        List<UsageEvent> thousand = new java.util.ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            thousand.add(UsageEvent.builder("req-" + i, Instant.parse("2025-03-01T00:00:00Z").plusSeconds(i))
                    .team("acme", "key_acme").endUser("u" + (i % 7)).route("chat", null, null)
                    .deployment("open-8b", "vllm", null, DeploymentClass.OPEN).tokens(1200, 300, 0)
                    .money(MicroUsd.ZERO, charge, MicroUsd.ZERO).licenseId("cloud-share").build());
        }
        f.poster.post(thousand);

        Statement march = f.statements(JUNE).close(YearMonth.of(2025, 3)).statements().getFirst();

        assertThat(march.requests()).isEqualTo(1000);
        assertThat(march.promptTokens()).isEqualTo(1_200_000);
        assertThat(march.completionTokens()).isEqualTo(300_000);
        assertThat(march.billedMicros()).isEqualTo(MicroUsd.ofMicros(420_000));
        assertThat(march.shareMicros()).isEqualTo(MicroUsd.ofMicros(42_000));
        StringBuilder csv = new StringBuilder();
        assertThat(StatementService.exportCsv(march, csv)).isEqualTo(1);
        assertThat(csv.toString()).isEqualTo(StatementService.CSV_HEADER + "\r\n"
                + "st-2025-03-lab,lab,2025-03,closed,1,usage,open-8b,cloud-share,1,commercial,2025-03,,1000,1200000,300000,"
                + "420000,42000,0.420000,0.042000\r\n"
                + "st-2025-03-lab,lab,2025-03,closed,,total,,,,,,,1000,1200000,300000,420000,42000,0.420000,0.042000\r\n");
    }

    @Test
    void aHundredRequestsOfThreePointEightMicrosAreBilledThreeHundredEightyAndOweThirtyEight() {
        // The example: 12 prompt + 7 completion tokens at 0.20 USD per 1M tokens each way, 10% revenue share.
        LedgerFixtures f = new LedgerFixtures();
        f.license("lab", "cloud-share", LedgerFixtures.revenueShare(1000, Set.of(UseClass.RESEARCH)));
        PriceVersion price = new PriceVersion(1, "open-8b", DeploymentClass.OPEN, LedgerFixtures.TERMS_FROM,
                TokenPrices.parseUsdPerMTok("0.20", "0.20", "0.20"), Optional.empty(), 0);
        MicroUsd charge = price.teamCharge(new TokenCounts(12, 7, 0)).orThrow();
        assertThat(charge).isEqualTo(MicroUsd.of(38, 1));
        List<UsageEvent> hundred = new java.util.ArrayList<>();
        for (int i = 0; i < 100; i++) {
            hundred.add(UsageEvent.builder("tiny-" + i, Instant.parse("2025-03-01T00:00:00Z").plusSeconds(i))
                    .team("acme", "key_acme").route("chat", null, null)
                    .deployment("open-8b", "vllm", null, DeploymentClass.OPEN).tokens(12, 7, 0)
                    .money(charge, charge, null).licenseId("cloud-share").build());
        }
        f.poster.post(hundred);
        assertThat(f.ledger.balances()).containsEntry("team:acme:receivable", MicroUsd.ofMicros(380))
                .containsEntry("author:lab:payable", MicroUsd.ofMicros(-38));

        Statement march = f.statements(JUNE).close(YearMonth.of(2025, 3)).statements().getFirst();
        assertThat(march.billedMicros()).isEqualTo(MicroUsd.ofMicros(380));
        assertThat(march.shareMicros()).isEqualTo(MicroUsd.ofMicros(38));
        assertThat(march.shareMicros().roundedMicros()).isEqualTo(38L);
        StringBuilder csv = new StringBuilder();
        StatementService.exportCsv(march, csv);
        assertThat(csv.toString()).endsWith(",total,,,,,,,100,1200,700,380,38,0.000380,0.000038\r\n");
    }
}
