package dev.llmgateway.metering;

import java.time.Instant;
import java.util.Random;

/** Usage events for tests. */
final class UsageFixtures {
    private UsageFixtures() {}

    static UsageEvent event(String requestId, Instant time, String team, long providerCost, long charge, long baseline) {
        return UsageEvent.builder(requestId, time)
                .team(team, "key_" + team)
                .endUser("user-1")
                .route("chat", "gradual", "25%")
                .deployment("gpt-4o", "openai", "gpt-4o-2024-08-06", DeploymentClass.CLOSED)
                .tokens(1200, 300, 200)
                .money(providerCost, charge, baseline)
                .timing(850, 120)
                .streamed(true)
                .build();
    }

    /** A random but valid event; the same seed gives the same event. */
    static UsageEvent random(String requestId, Random r, Instant base) {
        String[] teams = {"search", "ads", "support"};
        String[] routes = {"chat", "summarize"};
        boolean open = r.nextBoolean();
        long prompt = r.nextInt(20_000);
        return UsageEvent.builder(requestId, base.plusMillis(r.nextInt(86_400_000)))
                .team(teams[r.nextInt(teams.length)], "key_" + r.nextInt(5))
                .endUser(r.nextBoolean() ? null : "user \"" + r.nextInt(100) + "\", x")
                .route(routes[r.nextInt(routes.length)], "gradual", null)
                .deployment(open ? "llama-70b" : "gpt-4o", open ? "vllm" : "openai", "m", open ? DeploymentClass.OPEN : DeploymentClass.CLOSED)
                .tokens(prompt, r.nextInt(4000), prompt == 0 ? 0 : r.nextLong(prompt + 1))
                .money(r.nextInt(100_000), r.nextInt(100_000), r.nextInt(200_000))
                .timing(r.nextInt(10_000), r.nextBoolean() ? null : r.nextInt(1000))
                .outcome(r.nextInt(10) == 0 ? 502 : 200, r.nextInt(10) == 0 ? "upstream_failed" : null)
                .streamed(r.nextBoolean())
                .shadow(r.nextInt(8) == 0)
                .licenseId(open ? "llama3-community" : null)
                .build();
    }
}
