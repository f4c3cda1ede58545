package dev.understudy.ha.failover;

import static org.assertj.core.api.Assertions.assertThat;

import dev.understudy.common.home.Role;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The transition picture in {@link HaState}'s javadoc is {@link FailoverMachine#LEGAL} rendered: the table is
 * written once, and a reader of the enum sees what the machine enforces. On a change of {@code LEGAL} this
 * test prints the block to paste.
 */
class HaStateDiagramTest {

    private static final Path SOURCE = Path.of("src/main/java/dev/understudy/ha/failover/HaState.java");

    /** The block between {@code <pre>} and {@code </pre>} as it must read, one javadoc line per line. */
    static String render() {
        StringBuilder b = new StringBuilder();
        for (Role side : new Role[] {Role.SHADOW, Role.MASTER}) {
            b.append(" * ").append(side.name().toLowerCase(java.util.Locale.ROOT)).append(" side:\n");
            for (HaState from : HaState.values()) {
                if (from.role() == side) {
                    String to = FailoverMachine.LEGAL.get(from).stream().map(Enum::name).collect(Collectors.joining(", "));
                    b.append(String.format(" *   %-15s -> %s%n", from, to));
                }
            }
        }
        return b.toString();
    }

    static String diagramInSource() throws IOException {
        String src = Files.readString(SOURCE, StandardCharsets.UTF_8);
        int pre = src.indexOf(" * <pre>\n");
        int end = src.indexOf(" * </pre>\n", pre);
        assertThat(pre).as("<pre> block in %s", SOURCE.toAbsolutePath()).isPositive();
        assertThat(end).as("</pre> after <pre> in %s", SOURCE.toAbsolutePath()).isGreaterThan(pre);
        return src.substring(pre + " * <pre>\n".length(), end);
    }

    @Test
    void javadocDiagramIsTheLegalTable() throws IOException {
        String expected = render();
        assertThat(diagramInSource())
                .as("HaState's javadoc diagram differs from FailoverMachine.LEGAL; replace the <pre> block of %s with:%n%s",
                        SOURCE, expected)
                .isEqualTo(expected);
    }

    @Test
    void renderingNamesEveryStateOnceAndEveryLegalEdge() {
        String r = render();
        long edges = FailoverMachine.LEGAL.values().stream().mapToLong(java.util.Set::size).sum();
        long drawn = r.lines().filter(l -> l.contains("->"))
                .mapToLong(l -> l.substring(l.indexOf("->") + 2).split(",").length).sum();
        assertThat(r.lines().filter(l -> l.contains("->")).count()).isEqualTo(HaState.values().length);
        assertThat(drawn).isEqualTo(edges);
        // the disagreement this test was written for: a master serving alone never jumps to ACTIVE_PAIRED
        assertThat(r).contains(String.format("%-15s -> CONNECTING, ACTIVE_DEGRADED%n", HaState.ACTIVE_ALONE));
    }
}
