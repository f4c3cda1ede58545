package dev.understudy.dist.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.understudy.common.config.ChangeOp;
import dev.understudy.common.config.ChangeSet;
import dev.understudy.common.config.ConfigCollection;
import dev.understudy.common.config.InvalidChangeException;
import dev.understudy.common.config.Mapping;
import dev.understudy.common.home.HostPort;
import dev.understudy.common.json.Json;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The node-local mapping rules (issue #9 item 7), with this node's facts given, not read from the machine. */
class LocalMappingRulesTest {

    private static final String OWN_ADDRESS = "192.0.2.10"; // stands for an interface address of this node

    private final LocalMappingRules rules = new LocalMappingRules("0.0.0.0", 8443, "0.0.0.0", 8444,
            new HostPort("10.9.9.9", 9444), a -> a.getHostAddress().equals(OWN_ADDRESS));
    private final List<Mapping> existing = List.of(new Mapping("web", "0.0.0.0", 80, "app.example", 8080, null));

    private static ChangeOp put(String id, String listenHost, int listenPort, String backendHost, int backendPort) {
        var v = Json.object().put("listenPort", listenPort).put("backendHost", backendHost).put("backendPort", backendPort);
        if (listenHost != null) {
            v.put("listenHost", listenHost);
        }
        return ChangeOp.put(ConfigCollection.MAPPINGS, id, v);
    }

    private void refused(ChangeSet cs, String message) {
        assertThatThrownBy(() -> rules.check(cs, () -> existing)).isInstanceOf(InvalidChangeException.class)
                .hasMessageContaining(message);
    }

    @Test
    void ownAndPeerPortsAreRefused() {
        refused(new ChangeSet(List.of(put("m", null, 8443, "b.example", 1))),
                "ops[0].value.listenPort: 8443 (expected: not this node's admin port 0.0.0.0:8443; choose another listenPort)");
        refused(new ChangeSet(List.of(put("ok", null, 9000, "b.example", 1), put("m", "127.0.0.1", 8444, "b.example", 1))),
                "ops[1].value.listenPort: 8444 (expected: not this node's HA port 0.0.0.0:8444");
        refused(new ChangeSet(List.of(put("m", "127.0.0.1", 9444, "b.example", 1))),
                "ops[0].value.listenPort: 9444 (expected: not the HA port of the peer at 10.9.9.9:9444");
    }

    @Test
    void aBackendThatIsAnAddressOfThisNodeOnAListeningPortIsALoop() {
        refused(new ChangeSet(List.of(put("m", null, 9001, OWN_ADDRESS, 80))),
                "ops[0].value.backendPort: 192.0.2.10:80 (expected: a backend that is not a listen address of this node;"
                        + " 192.0.2.10 is an address of this node and mapping 'web' listens on 0.0.0.0:80");
        refused(new ChangeSet(List.of(put("m", null, 9001, OWN_ADDRESS, 9001))), "this mapping itself listens on 0.0.0.0:9001");
    }

    @Test
    void whatDoesNotHurtTheNodeIsAccepted() throws Exception {
        List<ChangeSet> ok = List.of(
                new ChangeSet(List.of(put("m", null, 9001, OWN_ADDRESS, 81))), // nothing listens on 81
                new ChangeSet(List.of(put("m", null, 9001, "198.51.100.1", 80))), // another machine's port 80
                new ChangeSet(List.of(ChangeOp.delete(ConfigCollection.MAPPINGS, "web"), put("m", null, 9001, OWN_ADDRESS, 80))));
        for (ChangeSet cs : ok) {
            rules.check(cs, () -> existing);
        }
        // an admin API bound to loopback only leaves the port free on the other addresses
        LocalMappingRules loopbackAdmin = new LocalMappingRules("127.0.0.1", 8443, "127.0.0.1", 8444, null, a -> false);
        loopbackAdmin.check(new ChangeSet(List.of(put("m", "10.1.1.1", 8443, "b.example", 1))), () -> existing);
        assertThatThrownBy(() -> loopbackAdmin.check(new ChangeSet(List.of(put("m", null, 8443, "b.example", 1))),
                () -> existing)).hasMessageContaining("admin port 127.0.0.1:8443");
        assertThat(InetAddress.getByName(OWN_ADDRESS).getHostAddress()).isEqualTo(OWN_ADDRESS);
    }
}
