package dev.vmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every Java block in README.md compiles exactly as printed: its import lines at the top of a file, the rest
 * as the body of a method. ({@code ReadmeExampleTest} and {@code StoreReadmeExampleTest} run copies of the
 * examples and check their results; this test keeps the printed text itself honest, imports included.)
 */
class ReadmeCodeCompilesTest {
    @TempDir
    Path tmp;

    /** The Java blocks of the README, in order. */
    static List<String> javaBlocks(String readme) {
        List<String> blocks = new ArrayList<>();
        StringBuilder block = null;
        for (String line : readme.split("\n", -1)) {
            if (block == null && line.strip().equals("```java")) {
                block = new StringBuilder();
            } else if (block != null && line.strip().equals("```")) {
                blocks.add(block.toString());
                block = null;
            } else if (block != null) {
                block.append(line).append('\n');
            }
        }
        return blocks;
    }

    /** A compilation unit for one block: its imports, then everything else inside a method. */
    static String unit(String className, String block) {
        StringBuilder imports = new StringBuilder();
        StringBuilder body = new StringBuilder();
        for (String line : block.split("\n")) {
            (line.startsWith("import ") ? imports : body).append(line).append('\n');
        }
        return imports + "\nclass " + className + " {\n    static void example() throws Exception {\n" + body
                + "    }\n}\n";
    }

    @Test
    void everyJavaBlockOfTheReadme_compilesAsPrinted() throws IOException {
        List<String> blocks = javaBlocks(Files.readString(Path.of("README.md")));
        assertTrue(blocks.size() >= 2, "the README's examples: " + blocks.size());
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertNotNull(javac, "tests run on a JDK");
        List<Path> sources = new ArrayList<>();
        for (int i = 0; i < blocks.size(); i++) {
            Path source = tmp.resolve("ReadmeBlock" + i + ".java");
            Files.writeString(source, unit("ReadmeBlock" + i, blocks.get(i)));
            sources.add(source);
        }
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, Locale.ROOT, null)) {
            List<String> options = List.of("-d", tmp.toString(), "-classpath", System.getProperty("java.class.path"),
                    "-proc:none");
            javac.getTask(null, files, diagnostics, options, null, files.getJavaFileObjectsFromPaths(sources)).call();
        }
        List<String> errors = new ArrayList<>();
        for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
            if (d.getKind() == Diagnostic.Kind.ERROR) {
                errors.add(d.getSource().getName() + ":" + d.getLineNumber() + ": " + d.getMessage(Locale.ROOT));
            }
        }
        assertEquals(List.of(), errors, "README blocks that do not compile as printed");
    }
}
