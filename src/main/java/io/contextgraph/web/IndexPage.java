package io.contextgraph.web;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;

import java.nio.charset.StandardCharsets;

/** The short public page at {@code /}: what the service is, what it keeps, how to be forgotten. */
public final class IndexPage {
    /** Nothing but inline-free HTML with its own style: no scripts at all, no framing. */
    static final String CONTENT_SECURITY_POLICY =
            "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self'; base-uri 'none'; "
                    + "form-action 'none'; frame-ancestors 'none'";

    private static final byte[] HTML = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>contextgraph</title>
            <style>body{font-family:sans-serif;max-width:40em;margin:2em auto;padding:0 1em;line-height:1.5}</style>
            </head>
            <body>
            <h1>contextgraph</h1>
            <p>This service receives browsing sessions donated by people who chose to help build a web
            recommendation engine. Nobody is enrolled without opting in.</p>
            <h2>What we keep</h2>
            <p>For each page visit: the address of the page, when it was opened, how long it stayed open and
            which tab it was in, filed under a random identifier that your browser made up. We never receive
            your name or account, and we do not look up the addresses we receive.</p>
            <h2>What we drop</h2>
            <p>Addresses of local or private machines, IP addresses, addresses with user names or passwords in
            them, sites on our block list, very old or future-dated visits, and any field we do not need.</p>
            <h2>How to be forgotten</h2>
            <p>Ask from the same browser (the add-on has a button that sends <code>POST /v1/delete</code>
            with your identifier). Every record stored under your identifier is then deleted, including
            uploads that were still waiting to be processed.</p>
            </body>
            </html>
            """.getBytes(StandardCharsets.UTF_8);

    public void register(HttpRules rules) {
        rules.get("/", (req, res) -> {
            res.header(HeaderNames.CONTENT_TYPE, "text/html; charset=utf-8");
            res.header("Content-Security-Policy", CONTENT_SECURITY_POLICY);
            res.header("X-Frame-Options", "DENY");
            res.header("Referrer-Policy", "no-referrer");
            res.send(HTML);
        });
    }
}
