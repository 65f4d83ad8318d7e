package dev.vmem.cli;

import dev.vmem.store.StoreIOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import picocli.CommandLine;

/** Entry point of {@code java -jar target/vmem.jar}. */
public final class VmemMain {
    private VmemMain() {
    }

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command and returns its exit code (see the command's help). */
    static int run(String[] args, PrintWriter out, PrintWriter err) {
        boolean verbose = Arrays.asList(args).contains("--verbose");
        configureLogging(verbose);
        return commandLine(new VmemCommand(), out, err, verbose).execute(args);
    }

    /**
     * The command line of {@code root}, with help on every subcommand and the one-line error messages: for
     * a one-shot command, and for each line of {@code vmem shell}.
     */
    static CommandLine commandLine(VmemCommand root, PrintWriter out, PrintWriter err, boolean verbose) {
        // Every error points at 'vmem COMMAND --help': each subcommand inherits it (and -h) from VmemCommand.
        CommandLine cl = new CommandLine(root);
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, badArgs) -> {
            CommandLine where = ex.getCommandLine();
            String help = where.getParent() == null ? "vmem --help" : "vmem " + where.getCommandName() + " --help";
            err.println("vmem: " + ex.getMessage().replace('\n', ' ').strip() + " (see '" + help + "')");
            if (verbose) {
                ex.printStackTrace(err);
            }
            return ExitCode.BAD_INPUT.code;
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            err.println("vmem: " + describe(ex));
            if (verbose) {
                ex.printStackTrace(err);
            }
            return ExitCode.of(ex).code;
        });
        return cl;
    }

    private static String describe(Throwable e) {
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file or directory: " + e.getMessage();
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied: " + e.getMessage();
        }
        if (e instanceof java.nio.file.FileAlreadyExistsException f) {
            return "already exists, and is not a directory this command can use: " + f.getFile();
        }
        if (e instanceof java.nio.file.NotDirectoryException f) {
            return "not a directory: " + f.getFile();
        }
        if (e instanceof java.nio.file.FileSystemException f) {
            // Its message can be just a file name; say what failed in words, never by exception class.
            return "cannot use " + f.getFile() + (f.getReason() == null ? "" : ": " + f.getReason());
        }
        String message = e.getMessage() == null ? "unexpected failure (--verbose shows where)" : e.getMessage();
        if (e instanceof StoreIOException && e.getCause() != null && e.getCause().getMessage() != null) {
            message += " (" + e.getCause().getMessage() + ")";
        }
        return message.replace('\n', ' ');
    }

    /**
     * config/logback.xml when present, else the quiet default that {@link CommandLogging} sets up in code;
     * --verbose raises the store's level to INFO.
     */
    static void configureLogging(boolean verbose) {
        Path config = Path.of("config", "logback.xml");
        if (System.getProperty("logback.configurationFile") == null && Files.isRegularFile(config)) {
            System.setProperty("logback.configurationFile", config.toString());
        }
        if (verbose && System.getProperty("vmem.log.level") == null) {
            System.setProperty("vmem.log.level", "INFO");
        }
        org.slf4j.bridge.SLF4JBridgeHandler.removeHandlersForRootLogger();
        org.slf4j.bridge.SLF4JBridgeHandler.install();
    }
}
