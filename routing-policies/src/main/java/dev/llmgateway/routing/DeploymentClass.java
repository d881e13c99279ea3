package dev.llmgateway.routing;

/** Whether a deployment serves a closed (hosted API) model or an open-weight one. */
public enum DeploymentClass { CLOSED, OPEN }
