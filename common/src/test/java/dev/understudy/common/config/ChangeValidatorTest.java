package dev.understudy.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.understudy.common.json.Json;
import dev.understudy.common.store.ConfigStore;
import dev.understudy.common.store.Head;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/** Every way a change set is rejected, with the exact message an operator sees, and that nothing changes. */
class ChangeValidatorTest {

    static final String HASH = "pbkdf2-sha256$600000$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA";
    private static final String ID_RULE = " (expected: 1-128 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit)";
    private static final String PORT_RULE = " (expected: a port 1..65535)";
    private static final String HOST_RULE = " (expected: a host name or IP address)";
    private static final String HASH_RULE = " (expected: pbkdf2-sha256$ITERATIONS$SALT$HASH; passwords are never stored)";

    @TempDir
    Path tmp;

    private ConfigDocument base;

    static ObjectNode mapping(Object listenHost, Object listenPort, Object backendHost, Object backendPort) {
        ObjectNode n = Json.object();
        if (listenHost != null) {
            n.set("listenHost", Json.mapper().valueToTree(listenHost));
        }
        if (listenPort != null) {
            n.set("listenPort", Json.mapper().valueToTree(listenPort));
        }
        if (backendHost != null) {
            n.set("backendHost", Json.mapper().valueToTree(backendHost));
        }
        if (backendPort != null) {
            n.set("backendPort", Json.mapper().valueToTree(backendPort));
        }
        return n;
    }

    static ChangeOp putMapping(String id, String listenHost, int port) {
        return ChangeOp.put(ConfigCollection.MAPPINGS, id, mapping(listenHost, port, "backend.example", 9000));
    }

    static ChangeOp putUser(String id) {
        return ChangeOp.put(ConfigCollection.USERS, id, Json.object().put("passwordHash", HASH));
    }

    /** admin user; web on *:80; api on 10.0.0.1:8080; setting motd. */
    static ConfigDocument baseDocument() throws InvalidChangeException {
        ConfigDocument d = new ConfigDocument();
        d.apply(d.validate(ChangeSet.of(putUser("admin"), putMapping("web", null, 80), putMapping("api", "10.0.0.1", 8080),
                ChangeOp.put(ConfigCollection.SETTINGS, "motd", TextNode.valueOf("hello")))));
        return d;
    }

    @BeforeEach
    void setUp() throws InvalidChangeException {
        base = baseDocument();
    }

    private record Case(String name, ChangeSet changes, String message) {}

    private static ChangeSet set(ChangeOp... ops) {
        return ChangeSet.of(ops);
    }

    private static ChangeOp op(String op, String collection, String id, JsonNode value) {
        return new ChangeOp(op, collection, id, value);
    }

    private static List<Case> rejections() {
        List<Case> c = new ArrayList<>();
        ObjectNode okMapping = mapping(null, 9090, "b.example", 1);
        c.add(new Case("null ops", new ChangeSet(null), "ops: missing (expected: a list of ops)"));
        c.add(new Case("empty ops", new ChangeSet(List.of()), "ops: [] (expected: at least one op)"));
        List<ChangeOp> many = new ArrayList<>();
        for (int i = 0; i <= ChangeValidator.MAX_OPS; i++) {
            many.add(ChangeOp.put(ConfigCollection.SETTINGS, "s" + i, TextNode.valueOf("v")));
        }
        c.add(new Case("too many ops", new ChangeSet(many), "ops: 10001 ops (expected: at most 10000 per change set)"));
        c.add(new Case("bad op", set(op("upsert", "settings", "x", TextNode.valueOf("v"))),
                "ops[0].op: upsert (expected: put or delete)"));
        c.add(new Case("missing op", set(op(null, "settings", "x", TextNode.valueOf("v"))),
                "ops[0].op: null (expected: put or delete)"));
        c.add(new Case("unknown collection", set(op("put", "widgets", "x", TextNode.valueOf("v"))),
                "ops[0].collection: widgets (expected: one of mappings, users, settings)"));
        for (String id : new String[] {"../x", "", "a/b", ".hidden", "-x", "a b", "x".repeat(129), "é"}) {
            c.add(new Case("bad id " + id, set(op("put", "settings", id, TextNode.valueOf("v"))), "ops[0].id: " + id + ID_RULE));
        }
        c.add(new Case("null id", set(op("put", "settings", null, TextNode.valueOf("v"))), "ops[0].id: null" + ID_RULE));
        c.add(new Case("put without value", set(op("put", "settings", "x", null)),
                "ops[0].value: missing (expected: a value for put)"));
        c.add(new Case("put with JSON null", set(op("put", "settings", "x", Json.mapper().nullNode())),
                "ops[0].value: missing (expected: a value for put)"));
        c.add(new Case("delete with value", set(op("delete", "settings", "motd", TextNode.valueOf("v"))),
                "ops[0].value: present (expected: no value for delete)"));
        c.add(new Case("delete of missing id", set(ChangeOp.delete(ConfigCollection.MAPPINGS, "nope")),
                "ops[0].id: nope (expected: an existing mappings entry)"));
        c.add(new Case("delete twice in one set", set(ChangeOp.delete(ConfigCollection.SETTINGS, "motd"),
                ChangeOp.delete(ConfigCollection.SETTINGS, "motd")), "ops[1].id: motd (expected: an existing settings entry)"));
        c.add(new Case("port 0", set(ChangeOp.put(ConfigCollection.MAPPINGS, "m", mapping(null, 0, "b.example", 1))),
                "ops[0].value.listenPort: 0" + PORT_RULE));
        c.add(new Case("port 70000", set(ChangeOp.put(ConfigCollection.MAPPINGS, "m", mapping(null, 70000, "b.example", 1))),
                "ops[0].value.listenPort: 70000" + PORT_RULE));
        c.add(new Case("port \"80\"", set(ChangeOp.put(ConfigCollection.MAPPINGS, "m", mapping(null, "80", "b.example", 1))),
                "ops[0].value.listenPort: \"80\"" + PORT_RULE));
        c.add(new Case("port 80.0", set(ChangeOp.put(ConfigCollection.MAPPINGS, "m", mapping(null, 80.0, "b.example", 1))),
                "ops[0].value.listenPort: 80.0" + PORT_RULE));
        BigInteger wraps = BigInteger.ONE.shiftLeft(64).add(BigInteger.valueOf(80));
        c.add(new Case("port that wraps to 80", set(ChangeOp.put(ConfigCollection.MAPPINGS, "m", mapping(null, wraps, "b.example", 1))),
                "ops[0].value.listenPort: " + wraps + PORT_RULE));
        c.add(new Case("port missing", set(ChangeOp.put(ConfigCollection.MAPPINGS, "m", mapping(null, null, "b.example", 1))),
                "ops[0].value.listenPort: missing" + PORT_RULE));
        c.add(new Case("backend port -1", set(ChangeOp.put(ConfigCollection.MAPPINGS, "m", mapping(null, 9090, "b.example", -1))),
                "ops[0].value.backendPort: -1" + PORT_RULE));
        c.add(new Case("backend host missing", set(ChangeOp.put(ConfigCollection.MAPPINGS, "m", mapping(null, 9090, null, 1))),
                "ops[0].value.backendHost: missing" + HOST_RULE));
        c.add(new Case("backend host with space", set(ChangeOp.put(ConfigCollection.MAPPINGS, "m", mapping(null, 9090, "bad host", 1))),
                "ops[0].value.backendHost: \"bad host\"" + HOST_RULE));
        c.add(new Case("backend host with scheme", set(ChangeOp.put(ConfigCollection.MAPPINGS, "m",
                mapping(null, 9090, "http://b.example", 1))), "ops[0].value.backendHost: \"http://b.example\"" + HOST_RULE));
        c.add(new Case("listen host a number", set(ChangeOp.put(ConfigCollection.MAPPINGS, "m", mapping(5, 9090, "b.example", 1))),
                "ops[0].value.listenHost: 5" + HOST_RULE));
        c.add(new Case("label too long", set(ChangeOp.put(ConfigCollection.MAPPINGS, "m",
                mapping(null, 9090, "a".repeat(64) + ".example", 1))), "ops[0].value.backendHost: \"" + ("a".repeat(64) + ".example").substring(0, 56) + "..." + HOST_RULE));
        c.add(new Case("mapping not an object", set(ChangeOp.put(ConfigCollection.MAPPINGS, "m", TextNode.valueOf("x"))),
                "ops[0].value: \"x\" (expected: an object with listenPort, backendHost, backendPort)"));
        ObjectNode extra = okMapping.deepCopy().put("extra", 1);
        c.add(new Case("unknown mapping field", set(ChangeOp.put(ConfigCollection.MAPPINGS, "m", extra)),
                "ops[0].value.extra: unknown field (expected: one of listenHost, listenPort, backendHost, backendPort, description)"));
        ObjectNode longDescription = okMapping.deepCopy().put("description", "d".repeat(1025));
        c.add(new Case("description too long", set(ChangeOp.put(ConfigCollection.MAPPINGS, "m", longDescription)),
                "ops[0].value.description: \"" + "d".repeat(56) + "..." + " (expected: a string of at most 1024 characters)"));
        // listen conflicts with the document: web is on *:80, api on 10.0.0.1:8080
        c.add(new Case("specific host vs wildcard in the document", set(putMapping("m", "10.0.0.2", 80)),
                "ops[0].value.listenPort: 80 (expected: a port not already used on 10.0.0.2 by mapping 'web')"));
        c.add(new Case("wildcard vs specific host in the document", set(putMapping("m", null, 8080)),
                "ops[0].value.listenPort: 8080 (expected: a port not already used on 0.0.0.0 by mapping 'api')"));
        c.add(new Case("same host and port", set(putMapping("m", "10.0.0.1", 8080)),
                "ops[0].value.listenPort: 8080 (expected: a port not already used on 10.0.0.1 by mapping 'api')"));
        c.add(new Case("conflict within one change set", set(putMapping("a1", "10.0.0.5", 7000), putMapping("a2", null, 7000)),
                "ops[1].value.listenPort: 7000 (expected: a port not already used on 0.0.0.0 by mapping 'a1')"));
        c.add(new Case("existing mapping moved onto another's port", set(putMapping("api", null, 80)),
                "ops[0].value.listenPort: 80 (expected: a port not already used on 0.0.0.0 by mapping 'web')"));
        c.add(new Case("user without hash", set(ChangeOp.put(ConfigCollection.USERS, "bob", Json.object())),
                "ops[0].value.passwordHash: missing" + HASH_RULE));
        c.add(new Case("user with a plain hash", set(ChangeOp.put(ConfigCollection.USERS, "bob",
                Json.object().put("passwordHash", "5f4dcc3b5aa765d61d8327deb882cf99"))), "ops[0].value.passwordHash: not a hash" + HASH_RULE));
        c.add(new Case("user with a malformed pbkdf2 hash", set(ChangeOp.put(ConfigCollection.USERS, "bob",
                Json.object().put("passwordHash", "pbkdf2-sha256$many$salt$hash"))), "ops[0].value.passwordHash: not a hash" + HASH_RULE));
        c.add(new Case("user with a password field", set(ChangeOp.put(ConfigCollection.USERS, "bob",
                Json.object().put("password", "hunter22"))),
                "ops[0].value.password: unknown field (expected: only passwordHash; passwords are never stored)"));
        c.add(new Case("user with password next to the hash", set(ChangeOp.put(ConfigCollection.USERS, "bob",
                Json.object().put("passwordHash", HASH).put("password", "hunter22"))),
                "ops[0].value.password: unknown field (expected: only passwordHash; passwords are never stored)"));
        c.add(new Case("user not an object", set(ChangeOp.put(ConfigCollection.USERS, "bob", TextNode.valueOf(HASH))),
                "ops[0].value: \"" + HASH.substring(0, 56) + "... (expected: an object with passwordHash)"));
        c.add(new Case("delete the last user", set(ChangeOp.delete(ConfigCollection.USERS, "admin")),
                "ops[0].id: admin (expected: not the last admin user; add another user first)"));
        c.add(new Case("add and delete, then delete the last", set(putUser("tmp"), ChangeOp.delete(ConfigCollection.USERS, "tmp"),
                ChangeOp.delete(ConfigCollection.USERS, "admin")),
                "ops[2].id: admin (expected: not the last admin user; add another user first)"));
        c.add(new Case("setting over 64 KiB", set(ChangeOp.put(ConfigCollection.SETTINGS, "big", TextNode.valueOf("x".repeat(65535)))),
                "ops[0].value: 65537 bytes (expected: at most 65536)"));
        c.add(new Case("a good op then a bad one", set(ChangeOp.put(ConfigCollection.SETTINGS, "ok", TextNode.valueOf("v")),
                putMapping("web2", null, 80)),
                "ops[1].value.listenPort: 80 (expected: a port not already used on 0.0.0.0 by mapping 'web')"));
        return c;
    }

    @TestFactory
    Stream<DynamicTest> everyRejectionHasItsMessageAndChangesNothing() throws Exception {
        ConfigStore store = ConfigStore.open(tmp.resolve("store"));
        store.commit(new ChangeSet(baseDocument().toJson().properties().stream()
                .flatMap(col -> col.getValue().properties().stream()
                        .map(e -> ChangeOp.put(ConfigCollection.of(col.getKey()), e.getKey(), e.getValue())))
                .toList()));
        Head head = store.head();
        JsonNode json = store.snapshot().document().toJson();
        assertThat(json).isEqualTo(base.toJson());
        return Stream.concat(rejections().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            String hash = base.hash();
            assertThatThrownBy(() -> base.validate(c.changes())).isInstanceOf(InvalidChangeException.class)
                    .hasMessage(c.message());
            assertThat(base.hash()).isEqualTo(hash);
            assertThatThrownBy(() -> store.commit(c.changes())).isInstanceOf(InvalidChangeException.class)
                    .hasMessage(c.message());
            assertThat(store.head()).isEqualTo(head);
            assertThat(store.snapshot().document().toJson()).isEqualTo(json);
            assertThat(store.changesSince(head.revision())).contains(List.of());
        })), Stream.of(DynamicTest.dynamicTest("close", store::close)));
    }

    @Test
    void acceptedEdgeCases() throws Exception {
        List<ChangeSet> ok = List.of(
                set(putMapping("web", null, 80)), // replacing an id with itself on the same port
                set(putMapping("web", "10.0.0.9", 80)), // narrowing its own listen host
                set(putMapping("other", "10.0.0.2", 8080)), // another specific host on api's port
                set(ChangeOp.delete(ConfigCollection.MAPPINGS, "web"), putMapping("web2", null, 80)), // delete frees the port
                set(putMapping("api", null, 8081), putMapping("new", null, 8080)), // move away, then take the port
                set(putUser("second"), ChangeOp.delete(ConfigCollection.USERS, "admin")), // add another user first
                set(ChangeOp.put(ConfigCollection.SETTINGS, "big", TextNode.valueOf("x".repeat(65534)))), // exactly 64 KiB
                set(ChangeOp.put(ConfigCollection.MAPPINGS, "v6", mapping("::1", 9999, "fd00::1", 22))),
                set(ChangeOp.put(ConfigCollection.MAPPINGS, "x".repeat(128), mapping(null, 9998, "10.1.2.3", 65535))),
                set(new ChangeOp("delete", "settings", "motd", Json.mapper().nullNode())));
        for (ChangeSet cs : ok) {
            ConfigDocument d = baseDocument();
            ChangeSet normalized = d.validate(cs);
            d.apply(normalized);
            assertThat(normalized.ops()).hasSameSizeAs(cs.ops());
        }
    }

    @Test
    void normalizationFillsTheDefaultListenHostAndKeepsTheOrder() throws Exception {
        ChangeSet n = base.validate(set(ChangeOp.put(ConfigCollection.MAPPINGS, "m", mapping(null, 9090, "b.example", 1)),
                ChangeOp.delete(ConfigCollection.SETTINGS, "motd")));
        assertThat(n.ops().get(0).value().get("listenHost").asText()).isEqualTo("0.0.0.0");
        assertThat(n.ops().get(1)).isEqualTo(ChangeOp.delete(ConfigCollection.SETTINGS, "motd"));
    }

    // ------------------------------------------------------------------ forwarding loops (issue #9 item 7)

    private static ChangeOp forward(String id, String listenHost, int listenPort, String backendHost, int backendPort) {
        return ChangeOp.put(ConfigCollection.MAPPINGS, id, mapping(listenHost, listenPort, backendHost, backendPort));
    }

    private void assertLoopRefused(ChangeSet cs, String... fragments) throws Exception {
        ConfigDocument d = baseDocument();
        String before = d.hash();
        assertThatThrownBy(() -> d.validate(cs)).as("%s", cs).isInstanceOf(InvalidChangeException.class)
                .hasMessageContaining("loop").hasMessageContainingAll(fragments);
        assertThat(d.hash()).isEqualTo(before);
    }

    @Test
    void aBackendThatIsTheNodesOwnListenerIsRefused() throws Exception {
        // itself: listens on every interface, forwards to localhost on its own port
        assertLoopRefused(set(forward("self", null, 7001, "127.0.0.1", 7001)),
                "ops[0].value.backendPort: 127.0.0.1:7001", "this mapping itself listens on 0.0.0.0:7001");
        assertLoopRefused(set(forward("self", null, 7001, "localhost", 7001)), "this mapping itself");
        assertLoopRefused(set(forward("self", "::", 7001, "::1", 7001)), "this mapping itself");
        assertLoopRefused(set(forward("self", null, 7001, "0.0.0.0", 7001)), "this mapping itself");
        assertLoopRefused(set(forward("self", "10.0.0.7", 7001, "10.0.0.7", 7001)), "this mapping itself");
        assertLoopRefused(set(forward("self", "127.0.0.1", 7001, "LOCALHOST", 7001)), "this mapping itself");
        // into another mapping's listener in the document (web is on *:80)
        assertLoopRefused(set(forward("m", null, 7002, "127.0.0.2", 80)),
                "ops[0].value.backendPort: 127.0.0.2:80", "mapping 'web' listens on 0.0.0.0:80");
        // a listener put later in the same set, and a two-hop cycle
        assertLoopRefused(set(forward("a", null, 7003, "localhost", 7004), forward("b", null, 7004, "b.example", 1)),
                "mapping 'b' listens on 0.0.0.0:7004");
    }

    @Test
    void aNewListenerOnAnExistingMappingsLocalBackendIsRefused() throws Exception {
        ConfigDocument d = baseDocument();
        d.apply(d.validate(set(forward("to-local", null, 7010, "127.0.0.1", 7011))));
        String before = d.hash();
        assertThatThrownBy(() -> d.validate(set(forward("new", null, 7011, "b.example", 1))))
                .isInstanceOf(InvalidChangeException.class)
                .hasMessage("ops[0].value.listenPort: 7011 (expected: not the backend 127.0.0.1:7011 of mapping 'to-local':"
                        + " that mapping would forward into this node's own listener, a loop that exhausts file descriptors)");
        assertThat(d.hash()).isEqualTo(before);
        // moving the existing mapping's backend away in the same set makes it fine
        d.validate(set(forward("to-local", null, 7010, "b.example", 7011), forward("new", null, 7011, "b.example", 1)));
    }

    @Test
    void backendsThatOnlyLookLocalAreAccepted() throws Exception {
        ConfigDocument d = baseDocument();
        List<ChangeSet> ok = List.of(
                set(forward("other-port", null, 7020, "127.0.0.1", 7021)), // nothing listens on 7021
                set(forward("other-host", "10.0.0.7", 7022, "10.0.0.8", 7022)), // a specific listener, another host
                set(forward("remote", null, 7023, "backend.example", 7023)), // same port on another machine
                set(forward("specific", "10.0.0.7", 7024, "127.0.0.1", 7024)), // loopback does not reach 10.0.0.7
                set(forward("gone", null, 7025, "localhost", 7026), forward("x", null, 7026, "b.example", 1),
                        ChangeOp.delete(ConfigCollection.MAPPINGS, "gone"))); // the looping mapping is deleted again
        for (ChangeSet cs : ok) {
            d.validate(cs);
        }
    }
}
