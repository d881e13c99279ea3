package dev.llmgateway.metering;

import java.time.Instant;

/** A team: the unit that owns keys, budgets and usage. */
public record Team(String id, String displayName, UseClass useClass, Instant createdAt) {}
