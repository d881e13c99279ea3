/**
 * The embedded inference engine: serves GGUF models in-process through llama.cpp (JNI).
 * Start with {@link dev.llmgateway.engine.LocalEngine#start}; see docs/engine.md.
 */
package dev.llmgateway.engine;
