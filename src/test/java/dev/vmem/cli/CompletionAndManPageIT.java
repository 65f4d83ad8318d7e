package dev.vmem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * What {@code mvn package} generates beside target/vmem.jar from the command's annotations: the bash completion
 * script (zsh loads it through bashcompinit) and the AsciiDoc man pages. Expectations come from VmemCommand
 * itself, so a subcommand added there is checked here without an edit.
 */
class CompletionAndManPageIT {
    private static final Path TARGET = Path.of(System.getProperty("vmem.jar", "target/vmem.jar")).toAbsolutePath()
            .getParent();

    private static Map<String, CommandLine> subcommands() {
        return new CommandLine(new VmemCommand()).getSubcommands();
    }

    /** What the script's completion function offers for each command line (the last word being completed). */
    private static List<String> complete(Path io, List<List<String>> lines) throws Exception {
        StringBuilder script = new StringBuilder("source '" + TARGET.resolve("vmem_completion") + "' || exit 9\n");
        for (List<String> words : lines) {
            script.append("COMP_WORDS=(");
            for (String w : words) {
                script.append("'").append(w).append("' ");
            }
            script.append("); COMP_CWORD=").append(words.size() - 1).append("; COMPREPLY=(); _complete_vmem 2>/dev/null;"
                    + " echo \"${COMPREPLY[*]}\"\n");
        }
        Path err = io.resolve("bash.err");
        Process bash = new ProcessBuilder("bash", "-c", script.toString()).redirectError(err.toFile()).start();
        try {
            bash.getOutputStream().close();
            String out = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(bash.waitFor(30, TimeUnit.SECONDS), "bash did not finish");
            assertEquals(0, bash.exitValue(), "stderr: " + Files.readString(err));
            List<String> replies = out.lines().toList();
            assertEquals(lines.size(), replies.size(), out);
            return replies;
        } finally {
            bash.destroyForcibly();
        }
    }

    @Test
    void theCompletionScript_completesEverySubcommandAndItsOptions(@TempDir Path io) throws Exception {
        Map<String, CommandLine> subcommands = subcommands();
        Map<List<String>, List<String>> expected = new LinkedHashMap<>();
        expected.put(List.of("vmem", ""), new ArrayList<>(subcommands.keySet()));
        expected.put(List.of("vmem", "li"), List.of("list"));
        expected.put(List.of("vmem", "--st"), List.of("--store"));
        expected.put(List.of("vmem", "alloc", "--po"), List.of("--policy"));
        for (Map.Entry<String, CommandLine> sub : subcommands.entrySet()) {
            List<String> options = new ArrayList<>();
            for (OptionSpec o : sub.getValue().getCommandSpec().options()) {
                if (o.longestName().startsWith("--")) {
                    options.add(o.longestName());
                }
            }
            expected.put(List.of("vmem", sub.getKey(), "--"), options);
        }
        List<List<String>> lines = new ArrayList<>(expected.keySet());
        List<String> replies = complete(io, lines);
        for (int i = 0; i < lines.size(); i++) {
            List<String> offered = List.of(replies.get(i).isBlank() ? new String[0] : replies.get(i).split(" "));
            assertTrue(offered.containsAll(expected.get(lines.get(i))), String.join(" ", lines.get(i)) + "<TAB> offers "
                    + offered + ", not all of " + expected.get(lines.get(i)));
        }
        assertEquals(List.of("list"), List.of(replies.get(1).split(" ")), "exactly the one match");
    }

    @Test
    void theManPage_namesEverySubcommand_andEachHasItsOwnPage() throws Exception {
        Path man = TARGET.resolve("man");
        String main = Files.readString(man.resolve("vmem.adoc"));
        assertTrue(main.contains(":doctype: manpage") && main.contains("= vmem(1)"), main);
        for (Map.Entry<String, CommandLine> sub : subcommands().entrySet()) {
            assertTrue(main.contains("*" + sub.getKey() + "*"), "vmem.adoc names " + sub.getKey());
            Path page = man.resolve("vmem-" + sub.getKey() + ".adoc");
            assertTrue(Files.isRegularFile(page), "no " + page);
            String text = Files.readString(page);
            assertTrue(text.contains("= vmem-" + sub.getKey() + "(1)"), page + ": " + text);
            String description = String.join(" ", sub.getValue().getCommandSpec().usageMessage().description());
            assertTrue(text.contains(description.substring(0, Math.min(40, description.length()))),
                    page + " carries the command's description: " + description);
        }
    }
}
