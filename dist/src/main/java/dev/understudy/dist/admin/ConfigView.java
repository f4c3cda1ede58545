package dev.understudy.dist.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.common.config.ConfigCollection;
import dev.understudy.common.config.ConfigDocument;
import dev.understudy.common.json.Json;
import java.util.SortedMap;

/**
 * The configuration as {@code GET /api/v1/config} shows it, for the API and for the CLI reading the home
 * of a stopped node. Users are listed by id only: password hashes never leave the node through it.
 */
public final class ConfigView {

    private ConfigView() {}

    /** Every collection of {@code doc}, with the revision and hash it is at. */
    public static ObjectNode all(ConfigDocument doc, long revision, String hash) {
        ObjectNode out = Json.object();
        out.put("revision", revision);
        out.put("configHash", hash);
        for (ConfigCollection c : ConfigCollection.values()) {
            out.set(c.wireName(), collection(c, doc.entries(c)));
        }
        return out;
    }

    /** One collection; users by id only. */
    public static JsonNode collection(ConfigCollection c, SortedMap<String, JsonNode> entries) {
        if (c == ConfigCollection.USERS) {
            ArrayNode ids = Json.mapper().createArrayNode();
            entries.keySet().forEach(ids::add);
            return ids;
        }
        ObjectNode out = Json.object();
        entries.forEach(out::set);
        return out;
    }

    /** One entry, or null when there is none; a user by id only. */
    public static JsonNode entry(ConfigDocument doc, ConfigCollection c, String id) {
        JsonNode v = doc.get(c, id);
        return v == null ? null : c == ConfigCollection.USERS ? Json.object().put("id", id) : v;
    }
}
