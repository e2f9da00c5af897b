/**
 * The consumer, used by the worker role: reads tasks (deletes first), keeps their leases, retries, completes them
 * (stored uploads checked against their user's forget marker in the same script) and parks the ones that keep
 * failing as dead letters.
 */
package io.contextgraph.queue.consume;
