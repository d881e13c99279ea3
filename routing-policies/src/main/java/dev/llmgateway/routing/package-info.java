/**
 * Routing decisions for the gateway as pure functions: which deployment answers a request, and why.
 *
 * <p>Start at {@link dev.llmgateway.routing.Router}: build it once from a validated
 * {@link dev.llmgateway.routing.Catalog}, then call
 * {@link dev.llmgateway.routing.Router#decide} per request. Closed-to-open migrations move through
 * {@link dev.llmgateway.routing.MigrationMachine}, whose state the caller stores.
 */
package dev.llmgateway.routing;
