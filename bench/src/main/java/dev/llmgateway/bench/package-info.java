/** JMH benchmarks of the libraries; results are written up in docs/benchmarks.md. */
package dev.llmgateway.bench;
