package dev.llmgateway.routing;

/** A feature a request may need from a deployment. */
public enum Capability { TOOLS, JSON_MODE, VISION, STREAMING }
