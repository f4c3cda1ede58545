package dev.understudy.dist.admin;

import dev.understudy.common.home.Role;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;

/**
 * The node's Prometheus metrics (GET /metrics), read at scrape time from the node runtime with
 * the Prometheus Java client: role, epoch, revision, peer lag and heartbeat age, pushes and push
 * failures, failovers, forwarded connections and bytes.
 */
final class NodeMetrics {

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();

    NodeMetrics(AdminNode node) {
        GaugeWithCallback.builder().name("understudy_role").help("1 for the role this node holds now")
                .labelNames("role").callback(cb -> {
                    for (Role r : Role.values()) {
                        cb.call(node.role() == r ? 1 : 0, r.wireName());
                    }
                }).register(registry);
        GaugeWithCallback.builder().name("understudy_active").help("1 when this node serves the data plane")
                .callback(cb -> cb.call(node.isActive() ? 1 : 0)).register(registry);
        GaugeWithCallback.builder().name("understudy_epoch").help("failover epoch of this node")
                .callback(cb -> cb.call(node.epoch())).register(registry);
        GaugeWithCallback.builder().name("understudy_config_revision").help("newest committed config revision")
                .callback(cb -> cb.call(node.store().revision())).register(registry);
        GaugeWithCallback.builder().name("understudy_peer_lag_revisions").help("revisions the shadow is behind")
                .callback(cb -> {
                    PeerView p = node.peer();
                    if (p.lagRevisions() != null) {
                        cb.call(p.lagRevisions());
                    }
                }).register(registry);
        GaugeWithCallback.builder().name("understudy_peer_last_heartbeat_seconds")
                .help("seconds since the last message from the peer").callback(cb -> {
                    PeerView p = node.peer();
                    if (p.lastHeartbeatMillisAgo() != null) {
                        cb.call(p.lastHeartbeatMillisAgo() / 1000.0);
                    }
                }).register(registry);
        GaugeWithCallback.builder().name("understudy_active_alerts").help("unresolved alerts")
                .callback(cb -> cb.call(node.alerts().list(false).size())).register(registry);
        CounterWithCallback.builder().name("understudy_pushes").help("config pushes sent to the shadow")
                .callback(cb -> cb.call(node.pushes())).register(registry);
        GaugeWithCallback.builder().name("understudy_push_failures").help("push failures since the shadow last caught up")
                .callback(cb -> cb.call(node.pushFailures())).register(registry);
        CounterWithCallback.builder().name("understudy_failovers").help("promotions of this node since it started")
                .callback(cb -> cb.call(node.failovers())).register(registry);
        CounterWithCallback.builder().name("understudy_forwarded_connections").help("client connections accepted")
                .callback(cb -> cb.call(node.dataPlaneTotals().accepted())).register(registry);
        GaugeWithCallback.builder().name("understudy_forwarded_connections_active").help("client connections open")
                .callback(cb -> cb.call(node.dataPlaneTotals().active())).register(registry);
        CounterWithCallback.builder().name("understudy_forwarded_connection_failures")
                .help("client connections closed because the backend refused or timed out")
                .callback(cb -> cb.call(node.dataPlaneTotals().failed())).register(registry);
        CounterWithCallback.builder().name("understudy_forwarded_bytes").help("bytes forwarded").labelNames("direction")
                .callback(cb -> {
                    cb.call(node.dataPlaneTotals().bytesClientToBackend(), "client_to_backend");
                    cb.call(node.dataPlaneTotals().bytesBackendToClient(), "backend_to_client");
                }).register(registry);
    }

    String scrape() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writer.write(out, registry.scrape());
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    static String contentType() {
        return PrometheusTextFormatWriter.CONTENT_TYPE;
    }
}
