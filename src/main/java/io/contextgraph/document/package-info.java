/**
 * What a well-formed upload document is, in one place: the JSON parser configuration that the web role checks an
 * upload against before answering 200 and that the worker parses it with, so that the two cannot disagree.
 *
 * <p>Depends on Jackson and Guava only; {@code api} and {@code worker} depend on it, never the other way.
 */
package io.contextgraph.document;
