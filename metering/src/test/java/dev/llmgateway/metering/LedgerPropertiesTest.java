package dev.llmgateway.metering;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.EnumSet;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Random streams of tiny requests (charges of fractions of a micro-USD as well as whole ones), posted in random batches
 * with replays and period closes at random points, against an independent reference model in BigDecimal that applies
 * the documented rule (docs/billing.md): exact per request, summed exactly per team, per statement line and per author,
 * rounded once where owed. Seeded random (reproducible; the failing try's seed is in the message).
 */
class LedgerPropertiesTest {
    private static final Instant JAN1 = Instant.parse("2025-01-01T00:00:00Z");
    private static final Instant NOW = Instant.parse("2025-06-01T00:00:00Z");
    private static final List<YearMonth> MONTHS = List.of(YearMonth.of(2025, 1), YearMonth.of(2025, 2), YearMonth.of(2025, 3),
            YearMonth.of(2025, 4));
    private static final String[] TEAMS = {"acme", "globex", "lab"};
    private static final Map<String, UseClass> TEAM_CLASS = Map.of("acme", UseClass.COMMERCIAL, "globex", UseClass.COMMERCIAL,
            "lab", UseClass.RESEARCH);

    /** One version of terms; {@code day} (days after Jan 1) is when it takes effect, ignored for the first version. */
    record Version(int day, Set<UseClass> free, Long usersOver, Long revenueOver, Long tokensOver, int bp, long royalty, long minimum) {
        LicenseConditions conditions() {
            return new LicenseConditions(free, new LicenseThresholds(opt(usersOver), opt(revenueOver), opt(tokensOver)),
                    new LicenseObligation(bp, royalty, minimum), Attribution.NONE);
        }

        private static OptionalLong opt(Long v) { return v == null ? OptionalLong.empty() : OptionalLong.of(v); }
    }

    /** {@code amounts}: prompt tokens, completion tokens, team charge in units of 10^-10 micro-USD. */
    record EventSpec(int minute, int team, int user, int license, boolean shadow, boolean open, long[] amounts) {
        UsageEvent event(int index, int licenses) {
            return UsageEvent.builder("req-" + index, JAN1.plus(Duration.ofMinutes(minute)))
                    .team(TEAMS[team], null)
                    .endUser(user < 0 ? null : "user-" + user)
                    .route("chat", null, null)
                    .deployment(license % 2 == 0 ? "llama-70b" : "qwen-32b", "vllm", null, open ? DeploymentClass.OPEN : DeploymentClass.CLOSED)
                    .tokens(amounts[0], amounts[1], 0)
                    .money(MicroUsd.ZERO, MicroUsd.of(amounts[2], 10), MicroUsd.ZERO)
                    .shadow(shadow)
                    .licenseId("lic-" + (license % licenses))
                    .build();
        }
    }

    private static final long SEED = 0x1ED6E5L;

    @Test
    void ledgerStatementsAndBalancesAgreeWithTheReferenceModel() {
        for (int run = 0; run < 40; run++) {
            long seed = SEED + run;
            try {
                oneRun(new SplittableRandom(seed));
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("run with seed " + seed + " failed: " + e.getMessage(), e);
            }
        }
    }

    private static Version version(SplittableRandom r) {
        Set<UseClass> free = EnumSet.noneOf(UseClass.class);
        for (UseClass u : UseClass.values()) if (r.nextInt(4) == 0) free.add(u);
        return new Version(r.nextInt(1, 90), Set.copyOf(free),
                r.nextDouble() < 0.6 ? null : r.nextLong(0, 5),
                r.nextDouble() < 0.7 ? null : r.nextLong(0, 60_001),
                r.nextDouble() < 0.7 ? null : r.nextLong(0, 40_001),
                r.nextInt(0, 5001),
                r.nextBoolean() ? 0L : r.nextLong(0, 3_000_001),
                r.nextBoolean() ? 0L : r.nextLong(0, 60_001));
    }

    private static EventSpec event(SplittableRandom r) {
        int[] edges = {0, 31 * 1440 - 1, 31 * 1440, 59 * 1440 - 1, 59 * 1440, 90 * 1440 - 1};
        int minute = r.nextBoolean() ? r.nextInt(0, 90 * 1440) : edges[r.nextInt(edges.length)];
        long charge = switch (r.nextInt(4)) {
            case 0 -> 0L;
            case 1 -> r.nextLong(0, 20_000L) * 10_000_000_000L; // whole micro-USD
            case 2 -> r.nextLong(1, 10_000_000_000L);            // below one micro-USD, down to 10^-10
            default -> 38_000_000_000L;                          // 3.8 micro-USD: 12 + 7 tokens at 0.20 USD/1M
        };
        return new EventSpec(minute, r.nextInt(TEAMS.length), r.nextInt(-1, 6), r.nextInt(0, 3), r.nextInt(8) == 0,
                r.nextInt(8) != 0, new long[] {r.nextLong(0, 5001), r.nextLong(0, 2001), charge});
    }

    private void oneRun(SplittableRandom r) {
        List<List<Version>> licenses = new ArrayList<>();
        for (int i = r.nextInt(1, 4); i > 0; i--) {
            List<Version> versions = new ArrayList<>();
            for (int j = r.nextInt(1, 3); j > 0; j--) versions.add(version(r));
            licenses.add(versions);
        }
        List<EventSpec> specs = new ArrayList<>();
        for (int i = r.nextInt(1, 61); i > 0; i--) specs.add(event(r));
        int batchSize = r.nextInt(1, 16);
        int closeJanAt = r.nextInt(0, 101), closeFebAt = r.nextInt(0, 101), replayAt = r.nextInt(0, 101);
        boolean closeMarchAtEnd = r.nextBoolean();

        LedgerFixtures f = new LedgerFixtures();
        StatementService statements = f.statements(NOW);
        Reference ref = new Reference();
        for (int i = 0; i < licenses.size(); i++) {
            String author = "author-" + (i % 2);
            String licenseId = "lic-" + i;
            List<Version> versions = licenses.get(i);
            f.license(author, licenseId, versions.getFirst().conditions());
            ref.license(licenseId, author, LedgerFixtures.TERMS_FROM, versions.getFirst());
            for (Version v : versions.subList(1, versions.size())) {
                Instant from = JAN1.plus(Duration.ofDays(v.day()));
                f.registry.addTerms(licenseId, from, v.conditions());
                ref.license(licenseId, author, from, v);
            }
        }
        List<UsageEvent> events = new ArrayList<>();
        for (int i = 0; i < specs.size(); i++) events.add(specs.get(i).event(i, licenses.size()));
        List<List<UsageEvent>> batches = new ArrayList<>();
        for (int i = 0; i < events.size(); i += batchSize) batches.add(events.subList(i, Math.min(events.size(), i + batchSize)));
        int janIdx = closeJanAt * batches.size() / 100;
        int febIdx = Math.max(janIdx, closeFebAt * batches.size() / 100);
        int replayIdx = replayAt * batches.size() / 100;

        Map<YearMonth, List<Statement>> frozen = new HashMap<>();
        for (int i = 0; i <= batches.size(); i++) {
            if (i == janIdx) frozen.put(MONTHS.get(0), close(statements, ref, MONTHS.get(0)));
            if (i == febIdx) frozen.put(MONTHS.get(1), close(statements, ref, MONTHS.get(1)));
            if (i == batches.size()) break;
            f.poster.post(batches.get(i));
            ref.post(batches.get(i));
            if (i == replayIdx) {
                for (List<UsageEvent> earlier : batches.subList(0, i + 1)) assertThat(f.poster.post(earlier).posted()).isZero();
            }
        }
        if (closeMarchAtEnd) frozen.put(MONTHS.get(2), close(statements, ref, MONTHS.get(2)));

        assertThat(f.ledger.trialBalance().balanced()).isTrue();
        assertThat(f.unbalancedTransactions()).isZero();
        Map<String, MicroUsd> balances = f.ledger.balances();
        for (String author : List.of("author-0", "author-1")) {
            BigDecimal owedAcrossPeriods = BigDecimal.ZERO;
            for (YearMonth m : MONTHS) {
                Statement s = statements.statement(Statement.idOf(author, m)).orElse(null);
                Reference.Totals expected = ref.totals(author, m);
                Reference.Totals actual = s == null ? Reference.Totals.ZERO : new Reference.Totals(BigInteger.valueOf(s.requests()),
                        s.billedMicros().micros(), s.shareMicros().micros());
                assertThat(actual.requests()).as(author + " " + m + " requests").isEqualTo(expected.requests());
                assertThat(actual.billed()).as(author + " " + m + " billed").isEqualByComparingTo(expected.billed());
                assertThat(actual.share()).as(author + " " + m + " share").isEqualByComparingTo(expected.share());
                if (s != null) {
                    // Owed: the exact total rounded once, half-even, not the sum of rounded requests or lines.
                    assertThat(s.shareMicros().roundedMicros()).as(author + " " + m + " owed")
                            .isEqualTo(expected.share().setScale(0, java.math.RoundingMode.HALF_EVEN).longValueExact());
                    for (StatementLine l : s.lines()) {
                        if (l.kind() != StatementLine.Kind.USAGE && l.kind() != StatementLine.Kind.LATE_USAGE) continue;
                        String key = Reference.lineKey(author, m, l.licenseId(), l.licenseVersion(), l.deployment().orElse(null),
                                l.useClass().orElse(null), l.usagePeriod(), l.usageDate().orElse(null));
                        assertThat(l.billedMicros().micros()).as("line " + key)
                                .isEqualByComparingTo(ref.lineBilled.getOrDefault(key, BigDecimal.ZERO));
                        assertThat(l.requests()).as("line requests " + key).isEqualTo(ref.lineRequests.getOrDefault(key, 0L));
                    }
                }
                owedAcrossPeriods = owedAcrossPeriods.add(expected.share());
            }
            assertThat(balances.getOrDefault(LedgerEntry.authorPayable(author), MicroUsd.ZERO).negate().micros())
                    .isEqualByComparingTo(owedAcrossPeriods);
        }
        long usageLines = ref.lineRequests.size();
        long seenLines = MONTHS.stream().flatMap(m -> statements.statements(m).stream()).flatMap(s -> s.lines().stream())
                .filter(l -> l.kind() == StatementLine.Kind.USAGE || l.kind() == StatementLine.Kind.LATE_USAGE).count();
        assertThat(seenLines).as("usage lines").isEqualTo(usageLines);
        for (String team : TEAMS) {
            assertThat(balances.getOrDefault(LedgerEntry.teamReceivable(team), MicroUsd.ZERO).micros())
                    .as(team).isEqualByComparingTo(ref.charged.getOrDefault(team, BigDecimal.ZERO));
        }

        // Replaying everything changes nothing; closed statements stay exactly as they were frozen.
        Map<String, MicroUsd> before = f.ledger.balances();
        assertThat(f.poster.post(events).posted()).isZero();
        assertThat(f.poster.postPending().posted()).isZero();
        assertThat(f.ledger.balances()).isEqualTo(before);
        frozen.forEach((m, list) -> assertThat(statements.statements(m)).isEqualTo(list));
    }

    private static List<Statement> close(StatementService statements, Reference ref, YearMonth m) {
        ref.close(m);
        StatementService.CloseReport r = statements.close(m);
        assertThat(r.result()).isEqualTo(StatementService.CloseResult.CLOSED);
        return r.statements();
    }

    /** The documented rule, computed independently with unbounded integers and decimals. */
    static final class Reference {
        record Totals(BigInteger requests, BigDecimal billed, BigDecimal share) {
            static final Totals ZERO = new Totals(BigInteger.ZERO, BigDecimal.ZERO, BigDecimal.ZERO);

            Totals plus(BigInteger r, BigDecimal b, BigDecimal s) { return new Totals(requests.add(r), billed.add(b), share.add(s)); }
        }

        record Posted(UsageEvent event, YearMonth period, YearMonth usageMonth, Version version, BigDecimal provisional) {}

        static final class Figures {
            final Set<String> users = new HashSet<>();
            BigDecimal revenue = BigDecimal.ZERO;
            BigInteger tokens = BigInteger.ZERO;
        }

        final Map<String, List<Map.Entry<Instant, Version>>> terms = new HashMap<>();
        final Map<String, String> authorOf = new HashMap<>();
        final Set<YearMonth> closed = new HashSet<>();
        final Set<String> postedIds = new HashSet<>();
        final Map<String, Figures> figures = new HashMap<>();
        final List<Posted> posted = new ArrayList<>();
        final Map<String, Totals> totals = new HashMap<>();
        final Map<String, BigDecimal> charged = new HashMap<>();
        final Map<String, BigDecimal> lineBilled = new HashMap<>();
        final Map<String, Long> lineRequests = new HashMap<>();

        static String lineKey(String author, YearMonth period, String license, int version, String deployment, UseClass useClass,
                              YearMonth usagePeriod, java.time.LocalDate date) {
            return String.join("|", author, period.toString(), license, Integer.toString(version), String.valueOf(deployment),
                    String.valueOf(useClass), usagePeriod.toString(), String.valueOf(date));
        }

        void license(String id, String author, Instant from, Version v) {
            authorOf.put(id, author);
            terms.computeIfAbsent(id, k -> new ArrayList<>()).add(Map.entry(from, v));
        }

        Totals totals(String author, YearMonth m) { return totals.getOrDefault(author + " " + m, Totals.ZERO); }

        Version versionAt(String license, Instant t) {
            Version found = null;
            for (Map.Entry<Instant, Version> e : terms.get(license)) if (!e.getKey().isAfter(t)) found = e.getValue();
            return found;
        }

        static YearMonth month(Instant t) { return YearMonth.from(t.atOffset(ZoneOffset.UTC)); }

        Figures figures(String license, YearMonth m) { return figures.computeIfAbsent(license + " " + m, k -> new Figures()); }

        static boolean owes(Version v, UseClass useClass, Figures f) {
            if (v.free().contains(useClass)) return false;
            if (v.usersOver() == null && v.revenueOver() == null && v.tokensOver() == null) return true;
            return (v.usersOver() != null && f.users.size() > v.usersOver())
                    || (v.revenueOver() != null && f.revenue.compareTo(BigDecimal.valueOf(v.revenueOver())) > 0)
                    || (v.tokensOver() != null && f.tokens.compareTo(BigInteger.valueOf(v.tokensOver())) > 0);
        }

        /** Exact: a terminating decimal division, no rounding per request. */
        static BigDecimal share(Version v, UsageEvent e) {
            BigDecimal revenueShare = e.teamChargeMicros().micros().multiply(BigDecimal.valueOf(v.bp()))
                    .divide(BigDecimal.valueOf(10_000));
            BigDecimal royalty = BigDecimal.valueOf(e.promptTokens() + e.completionTokens()).multiply(BigDecimal.valueOf(v.royalty()))
                    .divide(BigDecimal.valueOf(1_000_000));
            return revenueShare.add(royalty);
        }

        void post(List<UsageEvent> batch) {
            Map<String, UsageEvent> unique = new LinkedHashMap<>();
            for (UsageEvent e : batch) {
                if (!e.shadow() && e.deploymentClass() == DeploymentClass.OPEN && e.licenseId() != null) unique.putIfAbsent(e.requestId(), e);
            }
            List<UsageEvent> ordered = new ArrayList<>(unique.values());
            ordered.sort(Comparator.comparing(UsageEvent::time).thenComparing(UsageEvent::requestId));
            for (UsageEvent e : ordered) {
                if (!postedIds.add(e.requestId())) continue;
                YearMonth usageMonth = month(e.time());
                YearMonth period = usageMonth;
                while (closed.contains(period)) period = period.plusMonths(1);
                Figures fig = figures(e.licenseId(), usageMonth);
                if (period.equals(usageMonth)) {
                    fig.users.add(e.teamId() + "/" + e.endUser());
                    fig.revenue = fig.revenue.add(e.teamChargeMicros().micros());
                    fig.tokens = fig.tokens.add(BigInteger.valueOf(e.promptTokens() + e.completionTokens()));
                }
                Version v = versionAt(e.licenseId(), e.time());
                BigDecimal s = owes(v, TEAM_CLASS.get(e.teamId()), fig) ? share(v, e) : BigDecimal.ZERO;
                posted.add(new Posted(e, period, usageMonth, v, s));
                BigDecimal charge = e.teamChargeMicros().micros();
                totals.merge(authorOf.get(e.licenseId()) + " " + period,
                        Totals.ZERO.plus(BigInteger.ONE, charge, s), (a, b) -> a.plus(b.requests(), b.billed(), b.share()));
                charged.merge(e.teamId(), charge, BigDecimal::add);
                int version = terms.get(e.licenseId()).indexOf(terms.get(e.licenseId()).stream()
                        .filter(t -> t.getValue() == v).findFirst().orElseThrow()) + 1;
                String line = lineKey(authorOf.get(e.licenseId()), period, e.licenseId(), version, e.deployment(),
                        TEAM_CLASS.get(e.teamId()), usageMonth,
                        period.equals(usageMonth) ? null : e.time().atOffset(ZoneOffset.UTC).toLocalDate());
                lineBilled.merge(line, charge, BigDecimal::add);
                lineRequests.merge(line, 1L, Long::sum);
            }
        }

        void close(YearMonth m) {
            Map<String, BigDecimal> owed = new HashMap<>();
            Set<String> on = new HashSet<>();
            for (Posted p : posted) {
                if (!p.usageMonth().equals(m) || !p.period().equals(m)) continue;
                String license = p.event().licenseId();
                Figures fig = figures(license, m);
                UseClass useClass = TEAM_CLASS.get(p.event().teamId());
                boolean applies = owes(p.version(), useClass, fig);
                BigDecimal fin = applies ? share(p.version(), p.event()) : BigDecimal.ZERO;
                addShare(authorOf.get(license), m, fin.subtract(p.provisional()));
                owed.merge(license, fin, BigDecimal::add);
                if (applies) on.add(license);
            }
            for (Map.Entry<String, BigDecimal> e : owed.entrySet()) {
                Version atEnd = versionAt(e.getKey(), m.plusMonths(1).atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant().minusNanos(1000));
                BigDecimal minimum = BigDecimal.valueOf(atEnd.minimum());
                if (on.contains(e.getKey()) && e.getValue().compareTo(minimum) < 0) {
                    addShare(authorOf.get(e.getKey()), m, minimum.subtract(e.getValue()));
                }
            }
            closed.add(m);
        }

        private void addShare(String author, YearMonth m, BigDecimal s) {
            totals.merge(author + " " + m, Totals.ZERO.plus(BigInteger.ZERO, BigDecimal.ZERO, s), (a, b) -> a.plus(b.requests(), b.billed(), b.share()));
        }
    }
}
