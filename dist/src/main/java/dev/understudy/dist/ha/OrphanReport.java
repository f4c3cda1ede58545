package dev.understudy.dist.ha;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.common.alert.AlertCategory;
import dev.understudy.common.alert.AlertStore;
import dev.understudy.common.alert.Severity;
import dev.understudy.common.clock.Clock;
import dev.understudy.common.home.NodeHome;
import dev.understudy.common.io.AtomicFiles;
import dev.understudy.common.json.Json;
import dev.understudy.common.store.Revision;
import dev.understudy.shadow.ShadowReplica;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes what a former master committed and its successor never acknowledged to {@code orphaned/} (one file
 * per report, with how to re-apply it) and raises the ORPHANED_CHANGES alert that points at it.
 */
final class OrphanReport {

    private static final Logger log = LoggerFactory.getLogger(OrphanReport.class);

    private final HaFiles files;
    private final AlertStore alerts;
    private final Clock clock;

    OrphanReport(HaFiles files, AlertStore alerts, Clock clock) {
        this.files = files;
        this.alerts = alerts;
        this.clock = clock;
    }

    void write(ShadowReplica.Orphans o) {
        NodeHome home = files.home();
        long epoch = files.state().epoch();
        long first = o.hasUnretained() ? o.unretainedFrom() : o.revisions().get(0).revision();
        long last = o.revisions().isEmpty() ? o.unretainedTo() : o.revisions().get(o.revisions().size() - 1).revision();
        Path file = home.orphanedDir().resolve("orphaned-epoch" + epoch + "-r" + first + "-" + last + ".json");
        ObjectNode root = Json.object();
        root.put("node", files.settings().nodeId());
        root.put("detectedAt", Instant.ofEpochMilli(clock.currentTimeMillis()).toString());
        root.put("newEpoch", epoch);
        root.put("howToReapply", "POST each changeSet to the master's /api/v1/config/changes, or repeat it with"
                + " `understudy config put|delete` against the master");
        ArrayNode sets = root.putArray("changeSets");
        for (Revision r : o.revisions()) {
            ObjectNode n = sets.addObject();
            n.put("revision", r.revision());
            n.putObject("changeSet").set("ops", Json.mapper().valueToTree(r.ops()));
        }
        if (o.hasUnretained()) {
            ObjectNode u = root.putObject("unretained");
            u.put("fromRevision", o.unretainedFrom());
            u.put("toRevision", o.unretainedTo());
            u.put("why", "these revisions were no longer in this node's journal, so they could not be compared one"
                    + " by one; every entry whose value here differed from the new master's is listed (local = this"
                    + " node's value, theirs = the new master's; null = absent)");
            u.set("differingEntries", Json.mapper().valueToTree(o.differing()));
        }
        try {
            Files.createDirectories(home.orphanedDir());
            AtomicFiles.write(file, Json.pretty(root).getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            log.error("cannot write orphaned changes to {}: {}", file, e.getMessage());
        }
        alerts.raise(Severity.ERROR, AlertCategory.ORPHANED_CHANGES, file.getFileName().toString(), message(o, file));
    }

    static String message(ShadowReplica.Orphans o, Path file) {
        StringBuilder m = new StringBuilder();
        if (!o.revisions().isEmpty()) {
            m.append(o.revisions().size()).append(" change set(s) committed on this node while it was master (revisions ")
                    .append(o.revisions().get(0).revision()).append("..")
                    .append(o.revisions().get(o.revisions().size() - 1).revision())
                    .append(") were never acknowledged by the new master and are not in its configuration. ");
        }
        if (o.hasUnretained()) {
            m.append("Revisions ").append(o.unretainedFrom()).append("..").append(o.unretainedTo())
                    .append(" of this node were no longer in its journal and could not be checked one by one; ")
                    .append(o.differing().size()).append(" entr").append(o.differing().size() == 1 ? "y" : "ies")
                    .append(" differed from the new master's configuration. ");
        }
        return m.append("They are saved in ").append(file).append("; review them and re-apply what is still wanted on"
                + " the master (POST each changeSet to /api/v1/config/changes, or use `understudy config put`).")
                .toString();
    }
}
