/**
 * What the service tells its operators, and nothing about its donors: StatsD metrics ({@link
 * io.contextgraph.observability.Metrics}), Sentry error reports ({@link io.contextgraph.observability.ErrorReporter})
 * and mozlog JSON logs ({@link io.contextgraph.observability.MozlogEncoder}, {@code logback.xml}; plain lines with
 * {@code LOG_FORMAT=text}), with free text passed through the {@link io.contextgraph.observability.Redactor} on its
 * way out.
 */
package io.contextgraph.observability;
