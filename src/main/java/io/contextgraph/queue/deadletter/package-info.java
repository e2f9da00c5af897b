/**
 * The parked tasks, for operators and for deletes: list them without personal data, replay them in their original
 * acceptance order, purge a forgotten user's, expire them after the retention.
 */
package io.contextgraph.queue.deadletter;
