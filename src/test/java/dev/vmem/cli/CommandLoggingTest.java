package dev.vmem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.core.ConsoleAppender;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The logging set up in code says what config/logback-example.xml says, and steps aside for a named file. */
class CommandLoggingTest {
    @AfterEach
    void clearProperties() {
        System.clearProperty("vmem.log.level");
        System.clearProperty("logback.configurationFile");
    }

    private static LoggerContext configured(Configurator.ExecutionStatus expected) {
        LoggerContext context = new LoggerContext();
        CommandLogging logging = new CommandLogging();
        logging.setContext(context);
        assertEquals(expected, logging.configure(context));
        return context;
    }

    @Test
    void byDefault_storeAndMapdbAtWarn_stderrWithThePatternOfConfigLogbackXml() {
        LoggerContext context = configured(Configurator.ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY);
        assertEquals(Level.WARN, context.getLogger("dev.vmem").getLevel());
        assertEquals(Level.WARN, context.getLogger("org.mapdb").getLevel());
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        assertEquals(Level.WARN, root.getLevel());
        ConsoleAppender<?> stderr = assertInstanceOf(ConsoleAppender.class, root.getAppender("STDERR"));
        assertEquals("System.err", stderr.getTarget());
        assertEquals("%d{HH:mm:ss.SSS} %-5level %logger{20} - %msg%n",
                assertInstanceOf(PatternLayoutEncoder.class, stderr.getEncoder()).getPattern());
        assertEquals(1, stderr.getCopyOfAttachedFiltersList().size());
    }

    /** The file users copy to change the logging describes exactly what the command sets up without it. */
    @Test
    void theExampleFile_configuresWhatTheCodeDoes() throws Exception {
        for (String level : new String[] {null, "INFO"}) {
            if (level != null) {
                System.setProperty("vmem.log.level", level);
            }
            LoggerContext code = configured(Configurator.ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY);
            LoggerContext file = new LoggerContext();
            ch.qos.logback.classic.joran.JoranConfigurator joran = new ch.qos.logback.classic.joran.JoranConfigurator();
            joran.setContext(file);
            joran.doConfigure(java.nio.file.Path.of("config", "logback-example.xml").toFile());
            for (String name : new String[] {"dev.vmem", "dev.vmem.store.Journal", "org.mapdb", Logger.ROOT_LOGGER_NAME}) {
                assertEquals(file.getLogger(name).getEffectiveLevel(), code.getLogger(name).getEffectiveLevel(),
                        name + " with vmem.log.level=" + level);
            }
            ConsoleAppender<?> fromFile = assertInstanceOf(ConsoleAppender.class,
                    file.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDERR"));
            ConsoleAppender<?> fromCode = assertInstanceOf(ConsoleAppender.class,
                    code.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDERR"));
            assertEquals(fromFile.getTarget(), fromCode.getTarget());
            assertEquals(((PatternLayoutEncoder) fromFile.getEncoder()).getPattern(),
                    ((PatternLayoutEncoder) fromCode.getEncoder()).getPattern());
            file.stop();
        }
    }

    @Test
    void verbose_raisesTheStoresLevelOnly() {
        System.setProperty("vmem.log.level", "INFO");
        LoggerContext context = configured(Configurator.ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY);
        assertEquals(Level.INFO, context.getLogger("dev.vmem").getLevel());
        assertEquals(Level.WARN, context.getLogger("org.mapdb").getLevel());
    }

    @Test
    void aNamedConfigurationFile_isLeftToLogback() {
        System.setProperty("logback.configurationFile", "config/logback-example.xml");
        LoggerContext context = configured(Configurator.ExecutionStatus.INVOKE_NEXT_IF_ANY);
        assertNull(context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDERR"));
    }
}
