package io.contextgraph.web;

import com.fasterxml.jackson.core.io.JsonStringEncoder;

/** Quotes a string as a JSON string literal, for the few hand-built JSON bodies of this package. */
final class JsonText {
    private JsonText() {
    }

    static String quote(String text) {
        return "\"" + new String(JsonStringEncoder.getInstance().quoteAsString(text == null ? "" : text)) + "\"";
    }
}
