package io.contextgraph.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** An HTTP/1.1 answer read straight from a socket, for requests the JDK's client will not send as a test needs. */
public final class RawHttp {

    private RawHttp() {
    }

    /**
     * The head of an answer: its status (0 when the connection closed before a status line), its headers by
     * lower-case name (the last of a repeated one), and the status line.
     */
    public record Head(int status, Map<String, String> headers, String statusLine) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** Reads up to the blank line that ends the head, or as much as came before the connection closed. */
    public static Head readHead(InputStream in) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            bytes.write(b);
            matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : b == '\r' ? 1 : 0;
        }
        String[] lines = bytes.toString(StandardCharsets.ISO_8859_1).split("\r\n");
        String statusLine = lines[0];
        if (matched < 4 || !statusLine.startsWith("HTTP/1.") || statusLine.length() < 12) {
            return new Head(0, Map.of(), statusLine);
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.put(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT),
                        lines[i].substring(colon + 1).strip());
            }
        }
        return new Head(Integer.parseInt(statusLine.substring(9, 12)), headers, statusLine);
    }

    /** The body that follows {@code head}, as long as its Content-Length says. */
    public static String readBody(InputStream in, Head head) throws IOException {
        int length = Integer.parseInt(head.headers().getOrDefault("content-length", "0"));
        return new String(in.readNBytes(length), StandardCharsets.ISO_8859_1);
    }
}
