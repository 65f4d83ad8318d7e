package dev.vmem.cli;

import java.io.IOException;
import java.nio.file.Path;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import picocli.CommandLine;
import picocli.shell.jline3.PicocliJLineCompleter;

/**
 * The shell's lines from a terminal, through JLine: a prompt, line editing, completion of commands and
 * options, and history kept in ~/.vmem_history. Loaded only when stdin is a terminal, so that scripts pay
 * nothing for JLine.
 */
final class ShellTerminal implements ShellCommand.Lines {
    static final String PROMPT = "vmem> ";

    private final Terminal terminal;
    private final LineReader reader;

    private ShellTerminal(Terminal terminal, LineReader reader) {
        this.terminal = terminal;
        this.reader = reader;
    }

    /** A reader on the process's terminal that completes what {@code commands} knows. */
    static ShellTerminal open(CommandLine commands) throws IOException {
        // JLine's JNI and FFM terminals load native code (with warnings on recent JDKs); the exec one runs stty.
        Terminal terminal = TerminalBuilder.builder().system(true).jni(false).ffm(false).jna(false).jansi(false)
                .build();
        LineReader reader = LineReaderBuilder.builder().terminal(terminal).appName("vmem")
                .completer(new PicocliJLineCompleter(commands.getCommandSpec()))
                .variable(LineReader.HISTORY_FILE, Path.of(System.getProperty("user.home"), ".vmem_history"))
                .build();
        return new ShellTerminal(terminal, reader);
    }

    @Override
    public String next() {
        try {
            return reader.readLine(PROMPT);
        } catch (UserInterruptException e) {
            return ""; // Ctrl-C drops the line being typed, as in sh
        } catch (EndOfFileException e) {
            return null;
        }
    }

    @Override
    public void close() throws IOException {
        try {
            reader.getHistory().save();
        } finally {
            terminal.close();
        }
    }
}
