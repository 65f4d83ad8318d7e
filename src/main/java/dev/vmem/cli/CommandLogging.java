package dev.vmem.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.filter.ThresholdFilter;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * The command's logging, set up in code: INFO and up to stderr, the store's loggers at WARN unless
 * {@code vmem.log.level} says otherwise (--verbose sets INFO), MapDB's at WARN. It is what
 * config/logback.xml says, without parsing XML: Logback's XML configuration loads some 600 classes (its
 * Joran interpreter and the JDK's XML parser), a quarter of what a one-shot {@code vmem list} loads.
 *
 * <p>Logback finds this class as a service, listed only in target/vmem.jar (pom.xml: the shade plugin),
 * so that the library jar and the tests keep Logback's own discovery. When a configuration file is named
 * ({@code logback.configurationFile}, which {@link VmemMain} sets when config/logback.xml exists), Logback's
 * own configurators read it instead.
 */
public final class CommandLogging extends ContextAwareBase implements Configurator {
    static final String PATTERN = "%d{HH:mm:ss.SSS} %-5level %logger{20} - %msg%n";

    /** For Logback's service loader. */
    public CommandLogging() {
    }

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (System.getProperty("logback.configurationFile") != null) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(PATTERN);
        encoder.start();
        ThresholdFilter info = new ThresholdFilter();
        info.setContext(context);
        info.setLevel("INFO");
        info.start();
        ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(context);
        stderr.setName("STDERR");
        stderr.setTarget("System.err");
        stderr.addFilter(info);
        stderr.setEncoder(encoder);
        stderr.start();
        context.getLogger("dev.vmem").setLevel(Level.toLevel(System.getProperty("vmem.log.level"), Level.WARN));
        context.getLogger("org.mapdb").setLevel(Level.WARN);
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.WARN);
        root.addAppender(stderr);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }
}
