package dev.llmgateway.metering;

import static dev.llmgateway.metering.Gens.nullable;
import static dev.llmgateway.metering.Gens.subsetOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.*;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
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
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * Random usage streams, posted in random batches with replays and period closes at random points, against an
 * independent reference model in BigInteger/BigDecimal that applies the documented rule (docs/billing.md).
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

    record EventSpec(int minute, int team, int user, int license, boolean shadow, boolean open, long[] amounts) {
        UsageEvent event(int index, int licenses) {
            return UsageEvent.builder("req-" + index, JAN1.plus(Duration.ofMinutes(minute)))
                    .team(TEAMS[team], null)
                    .endUser(user < 0 ? null : "user-" + user)
                    .route("chat", null, null)
                    .deployment(license % 2 == 0 ? "llama-70b" : "qwen-32b", "vllm", null, open ? DeploymentClass.OPEN : DeploymentClass.CLOSED)
                    .tokens(amounts[0], amounts[1], 0)
                    .money(0, amounts[2], 0)
                    .shadow(shadow)
                    .licenseId("lic-" + (license % licenses))
                    .build();
        }
    }

    /** One generated scenario: the licenses, the usage, and when batches are posted, periods closed and replays sent. */
    record Scenario(List<List<Version>> licenses, List<EventSpec> specs, int batchSize, int closeJanAt, int closeFebAt,
                    int replayAt, boolean closeMarchAtEnd) {}

    @Test
    void ledgerStatementsAndBalancesAgreeWithTheReferenceModel() {
        Gen<List<EventSpec>> specs = lists().of(events()).ofSizeBetween(1, 60);
        Gen<Integer> percent = integers().between(0, 100);
        Gen<Boolean> bool = booleans().all();
        Gen<Integer> batch = integers().between(1, 15);
        Gen<List<List<Version>>> licenses = licenses();
        Gen<Scenario> scenarios = in -> new Scenario(licenses.generate(in), specs.generate(in), batch.generate(in),
                percent.generate(in), percent.generate(in), percent.generate(in), bool.generate(in));
        qt().withExamples(40).withShrinkCycles(30).forAll(scenarios)
                .checkAssert(s -> ledgerAgreesWithTheReference(s.licenses(), s.specs(), s.batchSize(), s.closeJanAt(),
                        s.closeFebAt(), s.replayAt(), s.closeMarchAtEnd()));
    }

    private void ledgerAgreesWithTheReference(List<List<Version>> licenses, List<EventSpec> specs, int batchSize,
                                              int closeJanAt, int closeFebAt, int replayAt, boolean closeMarchAtEnd) {
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
        Map<String, Long> balances = f.ledger.balances();
        for (String author : List.of("author-0", "author-1")) {
            BigInteger owedAcrossPeriods = BigInteger.ZERO;
            for (YearMonth m : MONTHS) {
                Statement s = statements.statement(Statement.idOf(author, m)).orElse(null);
                Reference.Totals expected = ref.totals(author, m);
                assertThat(s == null ? Reference.Totals.ZERO : new Reference.Totals(BigInteger.valueOf(s.requests()),
                        BigInteger.valueOf(s.billedMicros()), BigInteger.valueOf(s.shareMicros())))
                        .as(author + " " + m).isEqualTo(expected);
                owedAcrossPeriods = owedAcrossPeriods.add(expected.share());
            }
            assertThat(BigInteger.valueOf(-balances.getOrDefault(LedgerEntry.authorPayable(author), 0L))).isEqualTo(owedAcrossPeriods);
        }
        for (String team : TEAMS) {
            assertThat(BigInteger.valueOf(balances.getOrDefault(LedgerEntry.teamReceivable(team), 0L)))
                    .as(team).isEqualTo(ref.charged.getOrDefault(team, BigInteger.ZERO));
        }

        // Replaying everything changes nothing; closed statements stay exactly as they were frozen.
        Map<String, Long> before = f.ledger.balances();
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
        record Totals(BigInteger requests, BigInteger billed, BigInteger share) {
            static final Totals ZERO = new Totals(BigInteger.ZERO, BigInteger.ZERO, BigInteger.ZERO);

            Totals plus(BigInteger r, BigInteger b, BigInteger s) { return new Totals(requests.add(r), billed.add(b), share.add(s)); }
        }

        record Posted(UsageEvent event, YearMonth period, YearMonth usageMonth, Version version, BigInteger provisional) {}

        static final class Figures {
            final Set<String> users = new HashSet<>();
            BigInteger revenue = BigInteger.ZERO;
            BigInteger tokens = BigInteger.ZERO;
        }

        final Map<String, List<Map.Entry<Instant, Version>>> terms = new HashMap<>();
        final Map<String, String> authorOf = new HashMap<>();
        final Set<YearMonth> closed = new HashSet<>();
        final Set<String> postedIds = new HashSet<>();
        final Map<String, Figures> figures = new HashMap<>();
        final List<Posted> posted = new ArrayList<>();
        final Map<String, Totals> totals = new HashMap<>();
        final Map<String, BigInteger> charged = new HashMap<>();

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
                    || (v.revenueOver() != null && f.revenue.compareTo(BigInteger.valueOf(v.revenueOver())) > 0)
                    || (v.tokensOver() != null && f.tokens.compareTo(BigInteger.valueOf(v.tokensOver())) > 0);
        }

        static BigInteger share(Version v, UsageEvent e) {
            BigDecimal revenueShare = BigDecimal.valueOf(e.teamChargeMicros()).multiply(BigDecimal.valueOf(v.bp()))
                    .divide(BigDecimal.valueOf(10_000)).setScale(0, RoundingMode.HALF_UP);
            BigDecimal royalty = BigDecimal.valueOf(e.promptTokens() + e.completionTokens()).multiply(BigDecimal.valueOf(v.royalty()))
                    .divide(BigDecimal.valueOf(1_000_000)).setScale(0, RoundingMode.HALF_UP);
            return revenueShare.add(royalty).toBigIntegerExact();
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
                    fig.revenue = fig.revenue.add(BigInteger.valueOf(e.teamChargeMicros()));
                    fig.tokens = fig.tokens.add(BigInteger.valueOf(e.promptTokens() + e.completionTokens()));
                }
                Version v = versionAt(e.licenseId(), e.time());
                BigInteger s = owes(v, TEAM_CLASS.get(e.teamId()), fig) ? share(v, e) : BigInteger.ZERO;
                posted.add(new Posted(e, period, usageMonth, v, s));
                totals.merge(authorOf.get(e.licenseId()) + " " + period,
                        Totals.ZERO.plus(BigInteger.ONE, BigInteger.valueOf(e.teamChargeMicros()), s), (a, b) -> a.plus(b.requests(), b.billed(), b.share()));
                charged.merge(e.teamId(), BigInteger.valueOf(e.teamChargeMicros()), BigInteger::add);
            }
        }

        void close(YearMonth m) {
            Map<String, BigInteger> owed = new HashMap<>();
            Set<String> on = new HashSet<>();
            for (Posted p : posted) {
                if (!p.usageMonth().equals(m) || !p.period().equals(m)) continue;
                String license = p.event().licenseId();
                Figures fig = figures(license, m);
                UseClass useClass = TEAM_CLASS.get(p.event().teamId());
                boolean applies = owes(p.version(), useClass, fig);
                BigInteger fin = applies ? share(p.version(), p.event()) : BigInteger.ZERO;
                addShare(authorOf.get(license), m, fin.subtract(p.provisional()));
                owed.merge(license, fin, BigInteger::add);
                if (applies) on.add(license);
            }
            for (Map.Entry<String, BigInteger> e : owed.entrySet()) {
                Version atEnd = versionAt(e.getKey(), m.plusMonths(1).atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant().minusNanos(1000));
                BigInteger minimum = BigInteger.valueOf(atEnd.minimum());
                if (on.contains(e.getKey()) && e.getValue().compareTo(minimum) < 0) {
                    addShare(authorOf.get(e.getKey()), m, minimum.subtract(e.getValue()));
                }
            }
            closed.add(m);
        }

        private void addShare(String author, YearMonth m, BigInteger s) {
            totals.merge(author + " " + m, Totals.ZERO.plus(BigInteger.ZERO, BigInteger.ZERO, s), (a, b) -> a.plus(b.requests(), b.billed(), b.share()));
        }
    }

    static Gen<List<List<Version>>> licenses() {
        Gen<Integer> day = integers().between(1, 89);
        Gen<Set<UseClass>> free = subsetOf(UseClass.class);
        Gen<Long> usersOver = nullable(longs().between(0, 4), 60);
        Gen<Long> revenueOver = nullable(longs().between(0, 60_000), 70);
        Gen<Long> tokensOver = nullable(longs().between(0, 40_000), 70);
        Gen<Integer> bp = integers().between(0, 5000);
        Gen<Long> royalty = Generate.oneOf(Generate.constant(0L), longs().between(0, 3_000_000));
        Gen<Long> minimum = Generate.oneOf(Generate.constant(0L), longs().between(0, 60_000));
        Gen<Version> version = in -> new Version(day.generate(in), free.generate(in), usersOver.generate(in),
                revenueOver.generate(in), tokensOver.generate(in), bp.generate(in), royalty.generate(in), minimum.generate(in));
        return lists().of(lists().of(version).ofSizeBetween(1, 2)).ofSizeBetween(1, 3);
    }

    static Gen<EventSpec> events() {
        Gen<long[]> amounts = longs().between(0, 5000).zip(longs().between(0, 2000),
                Generate.oneOf(Generate.constant(0L), longs().between(0, 20_000), Generate.constant(5L)),
                (p, c, m) -> new long[] {p, c, m});
        Gen<Integer> minute = Generate.oneOf(integers().between(0, 90 * 1440 - 1),
                Generate.pick(List.of(0, 31 * 1440 - 1, 31 * 1440, 59 * 1440 - 1, 59 * 1440, 90 * 1440 - 1)));
        Gen<Integer> team = integers().between(0, TEAMS.length - 1);
        Gen<Integer> user = integers().between(-1, 5);
        Gen<Integer> license = integers().between(0, 2);
        Gen<Boolean> shadow = Generate.pick(List.of(false, false, false, false, false, false, false, true));
        Gen<Boolean> open = Generate.pick(List.of(true, true, true, true, true, true, true, false));
        return in -> new EventSpec(minute.generate(in), team.generate(in), user.generate(in), license.generate(in),
                shadow.generate(in), open.generate(in), amounts.generate(in));
    }
}
