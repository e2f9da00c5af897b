/**
 * The rules of the upload document: which sessions are kept, which URLs and user tokens are
 * acceptable, and where an accepted upload is stored.
 *
 * <p>Pure code: it depends on the JDK and Guava only, makes no DNS look-ups and keeps no state
 * between calls, so the web role, the worker and the tests can all use it directly. Nothing here
 * logs; exception messages never contain a user token or a URL.
 */
package io.contextgraph.data;
