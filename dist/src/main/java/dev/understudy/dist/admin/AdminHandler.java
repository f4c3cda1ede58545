package dev.understudy.dist.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.common.alert.Alert;
import dev.understudy.common.auth.LoginGuard;
import dev.understudy.common.config.ChangeOp;
import dev.understudy.common.config.ChangeSet;
import dev.understudy.common.config.ConfigCollection;
import dev.understudy.common.config.InvalidChangeException;
import dev.understudy.common.json.Json;
import dev.understudy.common.text.LogSafe;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.NoSuchElementException;

import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes one admin API request (DESIGN.md §7) to the node runtime and answers with JSON.
 * Errors are {@code {"error": "..."}} with a status a script can rely on.
 */
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    private static final Logger log = LoggerFactory.getLogger(AdminHandler.class);
    private static final String API = "/api/v1/";

    private final AdminNode node;
    private final Authenticator auth;
    private final NodeMetrics metrics;
    /** On the local admin socket the socket file's permission has admitted the client already. */
    private final boolean local;

    AdminHandler(AdminNode node, Authenticator auth, NodeMetrics metrics, boolean local) {
        this.node = node;
        this.auth = auth;
        this.metrics = metrics;
        this.local = local;
    }

    /** A response before it is encoded. */
    record Reply(HttpResponseStatus status, JsonNode body) {
        static Reply ok(JsonNode body) {
            return new Reply(HttpResponseStatus.OK, body);
        }
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        if (req.decoderResult().isFailure()) {
            send(ctx, req, error(HttpResponseStatus.BAD_REQUEST, "request: malformed HTTP ("
                    + req.decoderResult().cause().getMessage() + ")"), false);
            return;
        }
        QueryStringDecoder uri = new QueryStringDecoder(req.uri());
        String path;
        try {
            path = uri.path();
        } catch (IllegalArgumentException e) {
            send(ctx, req, error(HttpResponseStatus.BAD_REQUEST, "request: malformed URL escape ("
                    + e.getMessage() + "; expected: %XX with hex digits)"), false);
            return;
        }
        Reply reply;
        try {
            BrowserSafety.check(req);
            if (path.equals("/healthz")) {
                allow(req, HttpMethod.GET);
                reply = Health.reply(node, uri.parameters().get("role"));
            } else if (path.equals("/") || path.equals("/index.html") || path.startsWith("/console/")) {
                allow(req, HttpMethod.GET);
                write(ctx, req, ConsoleAssets.serve(path, node.settings().nodeId(), node.role().wireName()));
                return;
            } else if (path.equals("/metrics") || path.startsWith(API)) {
                if (!local) { // the local admin socket's file permission is its credential (mode 0600, peer uid checked)
                    // the console's own requests say so: its login is logged and throttled as the console's
                    LoginGuard.Door door = "XMLHttpRequest".equals(req.headers().get("X-Requested-With"))
                            ? LoginGuard.Door.CONSOLE : LoginGuard.Door.ADMIN_API;
                    LoginGuard.Result login = auth.authenticate(req.headers().get(HttpHeaderNames.AUTHORIZATION),
                            source(ctx), door);
                    if (login.outcome() == LoginGuard.Outcome.THROTTLED) {
                        FullHttpResponse r = response(HttpResponseStatus.TOO_MANY_REQUESTS, Json.object().put("error",
                                "authorization: too many failed logins from " + source(ctx) + " (expected: wait "
                                        + login.retryAfterSeconds() + " s, then retry with the right user and password)"));
                        r.headers().set(HttpHeaderNames.RETRY_AFTER, login.retryAfterSeconds());
                        write(ctx, req, r);
                        return;
                    }
                    if (!login.ok()) {
                        // no WWW-Authenticate: a browser must not pop up its own login box and then keep
                        // sending the credentials it cached with requests that foreign pages make
                        write(ctx, req, response(HttpResponseStatus.UNAUTHORIZED, Json.object().put("error",
                                "authorization: missing or wrong (expected: Bearer <admin.token> or basic auth of an admin user)")));
                        return;
                    }
                }
                if (path.equals("/metrics")) {
                    allow(req, HttpMethod.GET);
                    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                            Unpooled.copiedBuffer(metrics.scrape(), java.nio.charset.StandardCharsets.UTF_8));
                    r.headers().set(HttpHeaderNames.CONTENT_TYPE, NodeMetrics.contentType());
                    write(ctx, req, r);
                    return;
                }
                if (!uri.rawPath().startsWith(API)) {
                    throw unknown(path.substring(API.length()));
                }
                // split before decoding: an id holding an encoded '/' stays one segment, so "..%2Fx" is an id, not a path
                reply = api(req, uri, uri.rawPath().substring(API.length()));
            } else {
                throw ApiException.notFound("path: " + path + " (expected: /healthz or /api/v1/...)");
            }
        } catch (ApiException e) {
            send(ctx, req, e, e.status() == HttpResponseStatus.METHOD_NOT_ALLOWED);
            return;
        } catch (IOException | RuntimeException e) {
            // the path is decoded request text (%0A is a newline): escaped, it cannot forge a log line
            log.error("admin request {} {} failed", req.method(), LogSafe.escape(path), e);
            send(ctx, req, error(HttpResponseStatus.INTERNAL_SERVER_ERROR,
                    "internal error: " + e.getMessage() + " (see the node's log)"), false);
            return;
        }
        write(ctx, req, response(reply.status(), reply.body()));
    }

    private Reply api(FullHttpRequest req, QueryStringDecoder uri, String rest) throws ApiException, IOException {
        List<String> seg = java.util.Arrays.stream(rest.split("/", -1)).map(AdminHandler::decodeSegment).toList();
        switch (seg.get(0)) {
            case "status" -> {
                only(seg, 1);
                allow(req, HttpMethod.GET);
                return Reply.ok(node.status());
            }
            case "alerts" -> {
                if (seg.size() == 1) {
                    allow(req, HttpMethod.GET);
                    boolean all = uri.parameters().getOrDefault("all", List.of("false")).contains("true");
                    ArrayNode out = Json.mapper().createArrayNode();
                    node.alerts().list(all).forEach(a -> out.add(alertJson(a)));
                    return Reply.ok(out);
                }
                if (seg.size() == 3 && seg.get(2).equals("ack") && !seg.get(1).isEmpty()) {
                    allow(req, HttpMethod.POST);
                    try {
                        return Reply.ok(alertJson(node.alerts().acknowledge(seg.get(1))));
                    } catch (NoSuchElementException e) {
                        throw ApiException.notFound(e.getMessage());
                    }
                }
                throw unknown(rest);
            }
            case "config" -> {
                return config(req, seg);
            }
            case "events" -> {
                only(seg, 1);
                allow(req, HttpMethod.GET);
                int limit = 50;
                try {
                    limit = Integer.parseInt(uri.parameters().getOrDefault("limit", List.of("50")).get(0));
                } catch (NumberFormatException e) {
                    throw error(HttpResponseStatus.BAD_REQUEST, "limit: not a number (expected: 1..1000)");
                }
                if (limit < 1 || limit > 1000) {
                    throw error(HttpResponseStatus.BAD_REQUEST, "limit: " + limit + " (expected: 1..1000)");
                }
                return Reply.ok(Json.mapper().valueToTree(node.events(limit)));
            }
            case "ha" -> {
                return ha(req, uri, seg);
            }
            default -> throw unknown(rest);
        }
    }

    private Reply ha(FullHttpRequest req, QueryStringDecoder uri, List<String> seg) throws ApiException, IOException {
        if (seg.size() != 2) {
            throw unknown(String.join("/", seg));
        }
        allow(req, HttpMethod.POST);
        try {
            switch (seg.get(1)) {
                case "attach" -> {
                    JsonNode b = body(req);
                    String master = text(b, "master");
                    String user = text(b, "user");
                    String password = text(b, "password");
                    String fp = b.hasNonNull("fingerprint") ? b.get("fingerprint").asText() : null;
                    String summary = node.attach(master, user, password.toCharArray(), fp);
                    String[] parts = summary.split(" ", 2);
                    return Reply.ok(Json.object().put("attached", true).put("masterNodeId", parts[0])
                            .put("masterFingerprint", parts.length > 1 ? parts[1] : null));
                }
                case "detach" -> {
                    node.detach();
                    return Reply.ok(Json.object().put("detached", true));
                }
                case "reset" -> {
                    node.reset();
                    return Reply.ok(Json.object().put("reset", true));
                }
                case "switch-roles" -> {
                    boolean force = uri.parameters().getOrDefault("force", List.of("false")).contains("true");
                    return Reply.ok(Json.object().put("result", node.switchRoles(force)).put("role", node.role().wireName())
                            .put("epoch", node.epoch()));
                }
                default -> throw unknown(String.join("/", seg));
            }
        } catch (IllegalArgumentException e) {
            throw error(HttpResponseStatus.BAD_REQUEST, e.getMessage());
        } catch (IOException e) {
            throw error(HttpResponseStatus.CONFLICT, e.getMessage());
        }
    }

    private static String text(JsonNode b, String field) throws ApiException {
        JsonNode v = b.get(field);
        if (v == null || !v.isTextual() || v.asText().isEmpty()) {
            throw error(HttpResponseStatus.BAD_REQUEST, field + ": missing (expected: a non-empty string)");
        }
        return v.asText();
    }

    private Reply config(FullHttpRequest req, List<String> seg) throws ApiException, IOException {
        if (seg.size() == 1) {
            allow(req, HttpMethod.GET);
            // export=true: the whole document as stored, users' password hashes included (for `understudy export`)
            boolean export = new QueryStringDecoder(req.uri()).parameters().getOrDefault("export", List.of()).contains("true");
            return Reply.ok(node.store().read(doc -> {
                if (!export) {
                    return ConfigView.all(doc, node.store().revision(), node.store().hash());
                }
                ObjectNode out = Json.object();
                out.put("revision", node.store().revision());
                out.put("configHash", node.store().hash());
                out.set("document", doc.toJson());
                return out;
            }));
        }
        if (seg.size() == 2 && seg.get(1).equals("changes")) {
            allow(req, HttpMethod.POST);
            return write(changeSet(body(req)));
        }
        ConfigCollection c;
        try {
            c = ConfigCollection.of(seg.get(1));
        } catch (IllegalArgumentException e) {
            throw ApiException.notFound(e.getMessage());
        }
        if (seg.size() == 2) {
            allow(req, HttpMethod.GET);
            return Reply.ok(node.store().read(doc -> ConfigView.collection(c, doc.entries(c))));
        }
        if (seg.size() != 3 || seg.get(2).isEmpty()) {
            throw unknown(String.join("/", seg));
        }
        String id = seg.get(2);
        HttpMethod m = req.method();
        if (m.equals(HttpMethod.GET)) {
            JsonNode v = node.store().read(doc -> ConfigView.entry(doc, c, id));
            if (v == null) {
                throw ApiException.notFound(c.wireName() + "/" + id + ": no such entry (expected: an existing id; see GET /api/v1/config/"
                        + c.wireName() + ")");
            }
            return Reply.ok(v);
        }
        if (m.equals(HttpMethod.PUT)) {
            return write(ChangeSet.of(ChangeOp.put(c, id, body(req))));
        }
        if (m.equals(HttpMethod.DELETE)) {
            return write(ChangeSet.of(ChangeOp.delete(c, id)));
        }
        throw methodNotAllowed(m, "GET, PUT, DELETE");
    }

    private Reply write(ChangeSet changes) throws ApiException, IOException {
        try {
            WriteResult r = node.write(changes);
            return Reply.ok(Json.object().put("revision", r.revision()).put("replicated", r.replicated()));
        } catch (InvalidChangeException e) {
            throw ApiException.badRequest(e.getMessage());
        } catch (NotActiveException e) {
            ApiException conflict = new ApiException(HttpResponseStatus.CONFLICT, e.getMessage());
            conflict.body().put("master", e.master());
            throw conflict;
        }
    }

    private static ChangeSet changeSet(JsonNode body) throws ApiException {
        if (!body.isObject() || !body.has("ops")) {
            throw ApiException.badRequest("request body: " + abbreviate(body)
                    + " (expected: a change set {\"ops\":[{\"op\":\"put\",\"collection\":...,\"id\":...,\"value\":...}]})");
        }
        try {
            return Json.mapper().treeToValue(body, ChangeSet.class);
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest("request body: not a change set: " + oneLine(e.getOriginalMessage())
                    + " (expected: {\"ops\":[{\"op\", \"collection\", \"id\", \"value\"}]})");
        }
    }

    private static JsonNode body(FullHttpRequest req) throws ApiException {
        if (req.content().readableBytes() == 0) {
            throw ApiException.badRequest("request body: empty (expected: JSON)");
        }
        byte[] bytes = ByteBufUtil.getBytes(req.content());
        try {
            // strict: the JSON parser lets some invalid sequences through (e.g. the overlong C0 80 for NUL)
            java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                    .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(bytes));
        } catch (java.nio.charset.CharacterCodingException e) {
            throw ApiException.badRequest("request body: not valid UTF-8 (expected: JSON text in UTF-8)");
        }
        try {
            return Json.tree(bytes);
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest("request body: malformed JSON: " + oneLine(e.getOriginalMessage())
                    + " (expected: valid JSON)");
        } catch (IOException e) {
            throw ApiException.badRequest("request body: unreadable: " + oneLine(e.getMessage()) + " (expected: valid JSON)");
        }
    }

    private static JsonNode alertJson(Alert a) {
        ObjectNode n = Json.mapper().valueToTree(a);
        n.remove("key");
        return n;
    }

    private static void only(List<String> seg, int size) throws ApiException {
        if (seg.size() != size) {
            throw unknown(String.join("/", seg));
        }
    }

    private static void allow(FullHttpRequest req, HttpMethod method) throws ApiException {
        if (!req.method().equals(method)) {
            throw methodNotAllowed(req.method(), method.name());
        }
    }

    private static ApiException methodNotAllowed(HttpMethod m, String allowed) {
        ApiException e = new ApiException(HttpResponseStatus.METHOD_NOT_ALLOWED,
                "method: " + m + " (expected: " + allowed + ")");
        e.body().put("allow", allowed);
        return e;
    }

    /** One percent-decoded path segment; unlike a query, a '+' in a path is a plus. */
    private static String decodeSegment(String raw) {
        return QueryStringDecoder.decodeComponent(raw.replace("+", "%2B"));
    }

    private static ApiException unknown(String rest) {
        return ApiException.notFound("path: " + API + rest + " (expected: status, alerts, config; see DESIGN.md §7)");
    }

    private static ApiException error(HttpResponseStatus status, String message) {
        return new ApiException(status, message);
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s+", " ").trim();
    }

    private static String abbreviate(JsonNode n) {
        String s = n.toString();
        return s.length() > 60 ? s.substring(0, 57) + "..." : s;
    }

    private void send(ChannelHandlerContext ctx, FullHttpRequest req, ApiException e, boolean withAllow) {
        FullHttpResponse r = response(e.status(), e.body());
        if (withAllow && e.body().has("allow")) {
            r.headers().set(HttpHeaderNames.ALLOW, e.body().get("allow").asText());
        }
        write(ctx, req, r);
    }

    private static String source(ChannelHandlerContext ctx) {
        return ctx.channel().remoteAddress() instanceof InetSocketAddress a && a.getAddress() != null
                ? a.getAddress().getHostAddress() : String.valueOf(ctx.channel().remoteAddress());
    }

    private static FullHttpResponse response(HttpResponseStatus status, JsonNode body) {
        byte[] bytes = Json.toBytes(body);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(bytes));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json; charset=utf-8")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length)
                .set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        return r;
    }

    private static void write(ChannelHandlerContext ctx, FullHttpRequest req, FullHttpResponse r) {
        boolean keepAlive = HttpUtil.isKeepAlive(req) && !req.decoderResult().isFailure();
        HttpUtil.setKeepAlive(r, keepAlive);
        var f = ctx.writeAndFlush(r);
        if (req.decoderResult().isFailure()) {
            LingeringClose.after(f); // the client may still be sending the request we refused
        } else if (!keepAlive) {
            f.addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof DecoderException && cause.getCause() instanceof SSLException) {
            log.debug("admin connection from {}: TLS failed: {}", ctx.channel().remoteAddress(), cause.getCause().getMessage());
        } else if (cause instanceof IOException) {
            log.debug("admin connection from {}: {}", ctx.channel().remoteAddress(), cause.getMessage());
        } else {
            log.warn("admin connection from {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        }
        ctx.close();
    }

}
