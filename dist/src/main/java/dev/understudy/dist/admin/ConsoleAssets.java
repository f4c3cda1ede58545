package dev.understudy.dist.admin;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

/**
 * The web console's static files, served from the classpath without authentication (the page
 * logs in through the API itself), under a strict Content-Security-Policy.
 */
final class ConsoleAssets {

    private static final String BASE = "/dev/understudy/dist/console/";
    private static final Map<String, String> FILES = Map.of(
            "index.html", "text/html; charset=utf-8",
            "console.js", "text/javascript; charset=utf-8",
            "console.css", "text/css; charset=utf-8");

    private ConsoleAssets() {}

    /** Marks in index.html where the node's id and role go, so the login page says which node it is. */
    static final String NODE_MARK = "{{node}}";
    static final String ROLE_MARK = "{{role}}";

    /** The asset at {@code path}; index.html names {@code nodeId} and its {@code role} (HTML-escaped). */
    static FullHttpResponse serve(String path, String nodeId, String role) throws ApiException, IOException {
        String name = path.equals("/") || path.equals("/index.html") ? "index.html" : path.substring("/console/".length());
        String type = FILES.get(name);
        if (type == null) {
            throw ApiException.notFound("path: " + path + " (expected: / or /console/console.js|console.css)");
        }
        byte[] body;
        try (InputStream in = ConsoleAssets.class.getResourceAsStream(BASE + name)) {
            if (in == null) {
                throw new IOException("console asset " + name + " missing from the distribution");
            }
            body = in.readAllBytes();
        }
        if (name.equals("index.html")) {
            body = new String(body, java.nio.charset.StandardCharsets.UTF_8).replace(NODE_MARK, escape(nodeId))
                    .replace(ROLE_MARK, escape(role)).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                Unpooled.wrappedBuffer(body));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
        r.headers().set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'");
        r.headers().set("X-Content-Type-Options", "nosniff");
        r.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
        return r;
    }

    static String escape(String s) {
        return s == null ? "" : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;")
                .replace("'", "&#39;");
    }
}
