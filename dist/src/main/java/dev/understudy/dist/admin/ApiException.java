package dev.understudy.dist.admin;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.common.json.Json;
import io.netty.handler.codec.http.HttpResponseStatus;

/** A request that ends in an error response {@code {"error": "..."}} with {@link #status()}. */
final class ApiException extends Exception {

    private static final long serialVersionUID = 1L;

    private final transient HttpResponseStatus status;
    private final transient ObjectNode body;

    ApiException(HttpResponseStatus status, String message) {
        super(message, null, false, false);
        this.status = status;
        this.body = Json.object().put("error", message);
    }

    HttpResponseStatus status() {
        return status;
    }

    /** The response body; callers may add fields (e.g. the master's address on a 409). */
    ObjectNode body() {
        return body;
    }

    static ApiException badRequest(String message) {
        return new ApiException(HttpResponseStatus.BAD_REQUEST, message);
    }

    static ApiException notFound(String message) {
        return new ApiException(HttpResponseStatus.NOT_FOUND, message);
    }
}
