package dev.llmgateway.engine;

/** A snapshot of one model: loaded or not, slots in use, requests waiting. */
public record ModelStats(String model, boolean loaded, int slots, int busySlots, int queued) {}
