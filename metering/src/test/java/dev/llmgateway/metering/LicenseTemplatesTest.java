package dev.llmgateway.metering;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LicenseTemplatesTest {
    @Test
    void everyShippedTemplateLoadsAndNamesItsPlaceholders() {
        assertThat(LicenseTemplates.all()).extracting(LicenseTemplate::id).containsExactly("permissive", "llama-community-mau",
                "modified-mit-attribution", "commercial-cloud-revenue-share");
        assertThat(LicenseTemplates.all()).allSatisfy(t -> {
            assertThat(t.name()).isNotBlank();
            assertThat(t.summary()).isNotBlank();
        });
        assertThat(LicenseTemplates.all().stream().filter(t -> !t.id().equals("permissive")))
                .allSatisfy(t -> assertThat(t.placeholders()).isNotEmpty());
    }

    @Test
    void llamaTemplateSwitchesItsObligationOnAboveSevenHundredMillionMonthlyUsers() {
        LicenseConditions llama = LicenseTemplates.get("llama-community-mau").orElseThrow().conditions();
        assertThat(llama.thresholds().activeUsersOver()).isEqualTo(OptionalLong.of(700_000_000));
        assertThat(llama.obligationApplies(UseClass.COMMERCIAL, new LicensePeriodFigures(700_000_000, 1, 1))).isFalse();
        assertThat(llama.obligationApplies(UseClass.COMMERCIAL, new LicensePeriodFigures(700_000_001, 1, 1))).isTrue();
        assertThat(llama.attributionRequired(LicensePeriodFigures.ZERO)).isTrue();
    }

    @Test
    void modifiedMitRequiresAttributionOnlyAboveItsScaleThresholdAndNeverMoney() {
        LicenseConditions mit = LicenseTemplates.get("modified-mit-attribution").orElseThrow().conditions();
        assertThat(mit.obligation()).isEqualTo(LicenseObligation.NONE);
        assertThat(mit.attributionRequired(new LicensePeriodFigures(100_000_000, 0, 0))).isFalse();
        assertThat(mit.attributionRequired(new LicensePeriodFigures(100_000_001, 0, 0))).isTrue();
        assertThat(mit.attributionRequired(new LicensePeriodFigures(0, 20_000_000_000_001L, 0))).isTrue();
    }

    @Test
    void commercialCloudTemplateSharesRevenueExceptWithFreeUseClasses() {
        LicenseConditions cloud = LicenseTemplates.get("commercial-cloud-revenue-share").orElseThrow().conditions();
        assertThat(cloud.freeUseClasses()).containsExactlyInAnyOrder(UseClass.INDIVIDUAL, UseClass.NON_COMMERCIAL, UseClass.RESEARCH);
        assertThat(RevenueShare.owed(cloud, UseClass.COMMERCIAL, LicensePeriodFigures.ZERO, MicroUsd.ofMicros(420), 1500)).isEqualTo(MicroUsd.ofMicros(42));
        assertThat(RevenueShare.owed(cloud, UseClass.RESEARCH, LicensePeriodFigures.ZERO, MicroUsd.ofMicros(420), 1500)).isEqualTo(MicroUsd.ZERO);
    }

    @Test
    void permissiveTemplateOwesNothingToAnyone() {
        LicenseConditions permissive = LicenseTemplates.get("permissive").orElseThrow().conditions();
        for (UseClass c : UseClass.values()) {
            assertThat(RevenueShare.owed(permissive, c, new LicensePeriodFigures(Long.MAX_VALUE, Long.MAX_VALUE, 0), MicroUsd.ofMicros(1_000_000), 0)).isEqualTo(MicroUsd.ZERO);
        }
        assertThat(LicenseConditions.permissive().obligation().none()).isTrue();
    }

    @Test
    void templateErrorsNameTheFileAndKeyAndRefuseDecimals() {
        String base = "id: x\nname: x\nlicense_names: [x]\nsummary: x\nterms:\n";
        assertThatThrownBy(() -> LicenseTemplates.parse("mine.yaml", base + "  obligation: {revenue_share_bp: 10.5}\n"))
                .hasMessageContaining("mine.yaml: terms.obligation.revenue_share_bp: expected a whole number");
        assertThatThrownBy(() -> LicenseTemplates.parse("mine.yaml", base + "  thresholds: {users_over: 3}\n"))
                .hasMessageContaining("terms.thresholds.users_over: unknown key");
        assertThatThrownBy(() -> LicenseTemplates.parse("mine.yaml", base + "  free_use_classes: [hobby]\n"))
                .hasMessageContaining("unknown use class 'hobby'");
        LicenseTemplate ok = LicenseTemplates.parse("mine.yaml", base + "  free_use_classes: [research]\n  obligation: {royalty_micros_per_mtok: 50000}\n");
        assertThat(ok.conditions().freeUseClasses()).isEqualTo(Set.of(UseClass.RESEARCH));
        assertThat(ok.conditions().obligation().royaltyMicrosPerMTok()).isEqualTo(50_000);
    }

    @Test
    void conditionsFromParsedJsonAcceptWholeNumbersAndRefuseFractions() {
        java.util.Map<String, Object> terms = new java.util.HashMap<>();
        terms.put("free_use_classes", java.util.List.of("research"));
        java.util.Map<String, Object> thresholds = new java.util.HashMap<>();
        thresholds.put("active_users_over", null);
        thresholds.put("revenue_micros_over", 5_000_000_000L);
        terms.put("thresholds", thresholds);
        terms.put("obligation", java.util.Map.of("revenue_share_bp", 1000));
        LicenseConditions c = LicenseTemplates.conditionsFrom(terms);
        assertThat(c.thresholds()).isEqualTo(new LicenseThresholds(OptionalLong.empty(), OptionalLong.of(5_000_000_000L), OptionalLong.empty()));
        assertThat(c.obligation().revenueShareBp()).isEqualTo(1000);
        terms.put("obligation", java.util.Map.of("revenue_share_bp", java.math.BigDecimal.ONE));
        assertThatThrownBy(() -> LicenseTemplates.conditionsFrom(terms)).hasMessageContaining("terms.obligation.revenue_share_bp");
    }
}
