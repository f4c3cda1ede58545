package dev.understudy.dist.admin;

import dev.understudy.common.json.Json;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.List;

/**
 * {@code GET /healthz} for load balancers: 200 on a node whose data plane serves (both nodes in active-active,
 * the master in active-standby), 503 otherwise; {@code ?role=master}: 200 only on the config master, for
 * routing admin traffic and config writes.
 */
final class Health {

    private Health() {}

    static AdminHandler.Reply reply(AdminNode node, List<String> role) throws ApiException {
        boolean master = node.isActive();
        boolean serves = node.servesDataPlane();
        boolean ok;
        if (role == null || role.isEmpty()) {
            ok = serves;
        } else if (role.size() == 1 && role.get(0).equals("master")) {
            ok = master;
        } else {
            throw ApiException.badRequest("role: " + role + " (expected: role=master, or no role to ask whether this"
                    + " node serves the data plane)");
        }
        return new AdminHandler.Reply(ok ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                Json.object().put("active", master).put("servesDataPlane", serves).put("dataPlane", node.dataPlaneMode()));
    }
}
