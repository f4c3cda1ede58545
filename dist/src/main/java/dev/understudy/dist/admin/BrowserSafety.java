package dev.understudy.dist.admin;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.Locale;

/**
 * What keeps a browser from being used against the admin API. A foreign page can make a browser
 * send a "simple" cross-origin request (POST with {@code text/plain} or a form type) without asking
 * the server first; it cannot send {@code Content-Type: application/json} without a CORS preflight,
 * which this server never grants. So every state-changing request must be JSON, and when a browser
 * names the page's origin it must be this node's own. Every response also tells the browser to use
 * HTTPS only (HSTS), not to guess content types, and not to show the API or console in a frame.
 */
final class BrowserSafety {

    static final String HSTS = "max-age=31536000";

    private BrowserSafety() {}

    /** Refuses a state-changing request that is not JSON (415) or comes from a foreign origin (403). */
    static void check(HttpRequest req) throws ApiException {
        HttpMethod m = req.method();
        if (!m.equals(HttpMethod.POST) && !m.equals(HttpMethod.PUT) && !m.equals(HttpMethod.DELETE)) {
            return;
        }
        String type = req.headers().get(HttpHeaderNames.CONTENT_TYPE);
        if (!isJson(type)) {
            throw new ApiException(HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE, "Content-Type: "
                    + (type == null ? "missing" : oneLine(type)) + " (expected: application/json on every POST, PUT and DELETE)");
        }
        String origin = req.headers().get(HttpHeaderNames.ORIGIN);
        if (origin != null) {
            String host = req.headers().get(HttpHeaderNames.HOST);
            String own = host == null ? null : "https://" + host;
            if (own == null || !withoutDefaultPort(own).equalsIgnoreCase(withoutDefaultPort(origin.trim()))) {
                throw new ApiException(HttpResponseStatus.FORBIDDEN, "Origin: " + oneLine(origin)
                        + " (expected: this node's own origin" + (own == null ? "" : " " + oneLine(own))
                        + " or no Origin header; the admin API accepts no cross-site writes)");
            }
        }
    }

    static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        int semi = contentType.indexOf(';');
        String media = (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
        return media.equals("application/json");
    }

    private static String withoutDefaultPort(String origin) {
        return origin.endsWith(":443") ? origin.substring(0, origin.length() - 4) : origin;
    }

    private static String oneLine(String s) {
        String t = s.replaceAll("[\\p{Cntrl}]", "?");
        return t.length() > 100 ? t.substring(0, 97) + "..." : t;
    }

    /** Adds the security headers to every response, whichever handler wrote it. */
    @ChannelHandler.Sharable
    static final class Headers extends ChannelOutboundHandlerAdapter {

        static final Headers INSTANCE = new Headers();

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (msg instanceof HttpResponse r) {
                r.headers().set("Strict-Transport-Security", HSTS)
                        .set("X-Content-Type-Options", "nosniff")
                        .set(HttpHeaderNames.X_FRAME_OPTIONS, "DENY");
            }
            ctx.write(msg, promise);
        }
    }
}
