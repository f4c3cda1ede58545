package dev.understudy.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The dependency rules of DESIGN.md §1, read from the main sources of every module: modules point
 * one way (common &lt;- ha-protocol &lt;- {master, shadow} &lt;- dist), master and shadow never see each
 * other, and no two packages depend on each other, directly or through others. A dependency is an
 * import or a fully qualified name in the code (not in a comment).
 */
class DependencyRulesTest {

    /** Each module, the package root its main code lives in, and the modules it may depend on. */
    private static final Map<String, String> ROOTS = new LinkedHashMap<>();
    private static final Map<String, Set<String>> ALLOWED = new LinkedHashMap<>();

    static {
        module("common", "dev.understudy.common");
        module("ha-protocol", "dev.understudy.ha", "common");
        module("master", "dev.understudy.master", "common", "ha-protocol");
        module("shadow", "dev.understudy.shadow", "common", "ha-protocol");
        module("dist", "dev.understudy.dist", "common", "ha-protocol", "master", "shadow");
    }

    private static void module(String name, String root, String... allowed) {
        ROOTS.put(name, root);
        ALLOWED.put(name, Set.of(allowed));
    }

    /** {@code dev.understudy.x.y.Type} (or a static member of it): the package is the lowercase prefix. */
    private static final Pattern REFERENCE = Pattern.compile("\\bdev\\.understudy(?:\\.[a-z_][a-z0-9_]*)+");
    /** A comment (mentions in prose are no dependency) or a string or char literal (kept as it is). */
    private static final Pattern COMMENT_OR_LITERAL = Pattern.compile(
            "//[^\\n]*|/\\*.*?\\*/|\"(?:\\\\.|[^\"\\\\])*\"|'(?:\\\\.|[^'\\\\])*'", Pattern.DOTALL);
    private static final Pattern PACKAGE = Pattern.compile("(?m)^package\\s+([\\w.]+)\\s*;");

    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();

    @Test
    void modulesPointOneWay() {
        Map<String, Set<String>> violations = new TreeMap<>();
        int references = 0;
        for (String module : ROOTS.keySet()) {
            Map<String, Set<String>> graph = packageGraph(module);
            for (var e : graph.entrySet()) {
                for (String target : e.getValue()) {
                    references++;
                    String to = moduleOf(target);
                    if (to == null || (!to.equals(module) && !ALLOWED.get(module).contains(to))) {
                        violations.computeIfAbsent(e.getKey() + " (" + module + ")", k -> new TreeSet<>())
                                .add(target + " (" + (to == null ? "no module" : to) + ")");
                    }
                }
            }
        }
        assertThat(references).as("package references read from the main sources").isGreaterThan(50);
        assertThat(violations).as("packages that depend on a module they may not see (DESIGN.md §1:"
                + " common <- ha-protocol <- {master, shadow} <- dist)").isEmpty();
    }

    @Test
    void masterAndShadowNeverSeeEachOther() {
        assertThat(references("master", "dev.understudy.shadow")).as("master -> shadow").isEmpty();
        assertThat(references("shadow", "dev.understudy.master")).as("shadow -> master").isEmpty();
        assertThat(packageGraph("master")).as("master packages read").isNotEmpty();
        assertThat(packageGraph("shadow")).as("shadow packages read").isNotEmpty();
    }

    @Test
    void noPackageCycleInAnyModule() {
        for (String module : ROOTS.keySet()) {
            Map<String, Set<String>> graph = packageGraph(module);
            assertThat(findCycle(graph)).as("a package cycle in " + module
                    + " (make one side depend on an interface the other implements)").isEmpty();
        }
        assertThat(packageGraph("dist").keySet()).as("dist packages read")
                .contains("dev.understudy.dist.admin", "dev.understudy.dist.node", "dev.understudy.dist.cli");
    }

    @Test
    void theCycleFinderFindsCycles() {
        Map<String, Set<String>> graph = new TreeMap<>();
        graph.put("a", Set.of("b"));
        graph.put("b", Set.of("c"));
        graph.put("c", Set.of("a", "d"));
        graph.put("d", Set.of());
        assertThat(findCycle(graph)).containsExactly("a", "b", "c", "a");
        graph.put("c", Set.of("d"));
        assertThat(findCycle(graph)).isEmpty();
    }

    private static String moduleOf(String pkg) {
        for (var e : ROOTS.entrySet()) {
            if (pkg.equals(e.getValue()) || pkg.startsWith(e.getValue() + ".")) {
                return e.getKey();
            }
        }
        return null;
    }

    private static Set<String> references(String module, String root) {
        Set<String> out = new TreeSet<>();
        packageGraph(module).forEach((from, tos) -> tos.stream()
                .filter(t -> t.equals(root) || t.startsWith(root + ".")).forEach(t -> out.add(from + " -> " + t)));
        return out;
    }

    /** Package -> the other dev.understudy packages its main sources refer to. */
    private static Map<String, Set<String>> packageGraph(String module) {
        Path src = ROOT.resolve(module).resolve("src/main/java");
        assertThat(src).as("main sources of " + module).isDirectory();
        Map<String, Set<String>> graph = new TreeMap<>();
        try (Stream<Path> files = Files.walk(src)) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
                String text = COMMENT_OR_LITERAL.matcher(Files.readString(f))
                        .replaceAll(m -> m.group().startsWith("/") ? " " : Matcher.quoteReplacement(m.group()));
                Matcher pm = PACKAGE.matcher(text);
                if (!pm.find()) {
                    continue;
                }
                String pkg = pm.group(1);
                Set<String> deps = graph.computeIfAbsent(pkg, k -> new TreeSet<>());
                Matcher m = REFERENCE.matcher(text.substring(pm.end()));
                while (m.find()) {
                    String target = m.group();
                    if (!target.equals(pkg)) {
                        deps.add(target);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return graph;
    }

    /** One cycle as a path that starts and ends on the same package, or an empty list. */
    static List<String> findCycle(Map<String, Set<String>> graph) {
        Set<String> done = new HashSet<>();
        for (String start : graph.keySet()) {
            Deque<String> path = new ArrayDeque<>();
            List<String> cycle = visit(start, graph, path, new HashSet<>(), done);
            if (!cycle.isEmpty()) {
                return cycle;
            }
        }
        return List.of();
    }

    private static List<String> visit(String node, Map<String, Set<String>> graph, Deque<String> path,
                                      Set<String> onPath, Set<String> done) {
        if (onPath.contains(node)) {
            List<String> cycle = new ArrayList<>();
            boolean in = false;
            for (String p : (Iterable<String>) path::descendingIterator) {
                in |= p.equals(node);
                if (in) {
                    cycle.add(p);
                }
            }
            cycle.add(node);
            return cycle;
        }
        if (!done.add(node)) {
            return List.of();
        }
        path.push(node);
        onPath.add(node);
        for (String next : graph.getOrDefault(node, Set.of())) {
            List<String> cycle = visit(next, graph, path, onPath, done);
            if (!cycle.isEmpty()) {
                return cycle;
            }
        }
        path.pop();
        onPath.remove(node);
        return List.of();
    }
}
