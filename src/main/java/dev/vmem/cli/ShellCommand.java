package dev.vmem.cli;

import dev.vmem.store.Durability;
import dev.vmem.store.VmemStore;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "shell", description = {
        "Run many commands on one open store, one per line: from a terminal with line editing, completion and "
                + "history (~/.vmem_history), or from a script on stdin, without a prompt.",
        "Every command works as on the command line, without --store (the shell's store) and at the shell's "
                + "--durability; 'help [COMMAND]' shows usage; an error prints its one line and the shell goes on. "
                + "Words split as in sh: quotes and backslashes, # starts a comment. 'exit', 'quit' or end of "
                + "input ends the shell, with exit code 0 when every command succeeded, else the exit code of the "
                + "last command that failed.",
        "",
        "Example: printf 'alloc a 64\\nlist\\n' | vmem --store s shell"})
final class ShellCommand extends WritingCommand {
    private static final Set<String> ENDINGS = Set.of("exit", "quit");

    /** What every command of a shell line works on: the open store and the level it acknowledges at. */
    record Session(VmemStore store, Durability durability) {
    }

    /** Where the shell's lines come from: the terminal or stdin. */
    interface Lines extends AutoCloseable {
        /** The next line, or null at the end of input. */
        String next() throws IOException;

        @Override
        void close() throws IOException;
    }

    @Override
    int run(VmemStore store) throws IOException {
        if (root.session != null) {
            throw new IllegalArgumentException("shell: this is the shell already");
        }
        Session session = new Session(store, durability());
        PrintWriter out = root.out();
        PrintWriter err = spec.commandLine().getErr();
        try (Lines lines = System.console() != null ? ShellTerminal.open(commands(session, out, err, false))
                : script()) {
            if (System.console() != null) {
                err.println("vmem shell on store " + store.directory() + ": 'help' lists the commands, 'exit' or "
                        + "Ctrl-D ends it");
            }
            return loop(lines, session, out, err);
        }
    }

    /** Runs every line until the end of input or 'exit'; returns the exit code of the last failure, or 0. */
    int loop(Lines lines, Session session, PrintWriter out, PrintWriter err) throws IOException {
        int status = ExitCode.OK.code;
        for (String line = lines.next(); line != null; line = lines.next()) {
            List<String> words;
            try {
                words = ShellWords.split(line);
            } catch (IllegalArgumentException e) {
                err.println("vmem: " + e.getMessage());
                status = ExitCode.BAD_INPUT.code;
                continue;
            }
            if (words.size() == 1 && ENDINGS.contains(words.get(0))) {
                break;
            }
            if (!words.isEmpty()) {
                int code = execute(words, session, out, err);
                status = code == ExitCode.OK.code ? status : code;
            }
        }
        return status;
    }

    private int execute(List<String> words, Session session, PrintWriter out, PrintWriter err) {
        CommandLine cl = commands(session, out, err, root.verbose || words.contains("--verbose"));
        if (words.get(0).equals("help") && !cl.getSubcommands().containsKey("help")) {
            return help(cl, words, out, err);
        }
        return cl.execute(words.toArray(String[]::new));
    }

    /** The command line that runs one shell line: every subcommand, on the session's store. */
    private static CommandLine commands(Session session, PrintWriter out, PrintWriter err, boolean verbose) {
        VmemCommand inner = new VmemCommand();
        inner.session = session;
        return VmemMain.commandLine(inner, out, err, verbose);
    }

    /** 'help' alone: the command's usage; 'help COMMAND': that command's. */
    private static int help(CommandLine cl, List<String> words, PrintWriter out, PrintWriter err) {
        if (words.size() == 1) {
            cl.usage(out);
            return ExitCode.OK.code;
        }
        CommandLine sub = cl.getSubcommands().get(words.get(1));
        if (sub == null || words.size() > 2) {
            err.println("vmem: help: no command '" + String.join(" ", words.subList(1, words.size()))
                    + "' (see 'help')");
            return ExitCode.BAD_INPUT.code;
        }
        sub.usage(out);
        return ExitCode.OK.code;
    }

    /** Lines from stdin, as a script feeds them: no prompt, no history. */
    private static Lines script() {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        return new Lines() {
            @Override
            public String next() throws IOException {
                return in.readLine();
            }

            @Override
            public void close() {
                // stdin is the process's: left open
            }
        };
    }
}
