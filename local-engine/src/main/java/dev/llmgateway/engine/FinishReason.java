package dev.llmgateway.engine;

/** Why generation ended: the model or a stop sequence ended it, max tokens / context, or the caller cancelled. */
public enum FinishReason { STOP, LENGTH, CANCELLED }
