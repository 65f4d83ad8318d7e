package dev.vmem.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.vmem.Arena;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/**
 * Captures what arenas log at WARN during each test ({@code @RegisterExtension}): leaks at close, slabs a
 * source refused. Attached before each test and detached after it, so tests see only their own.
 */
public final class ArenaWarnings implements BeforeEachCallback, AfterEachCallback {
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final Logger arenaLogger = (Logger) LoggerFactory.getLogger(Arena.class);

    @Override
    public void beforeEach(ExtensionContext context) {
        log.list.clear();
        log.start();
        arenaLogger.addAppender(log);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        arenaLogger.detachAppender(log);
    }

    /** The formatted WARN messages logged so far in this test, in order. */
    public List<String> messages() {
        return log.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage)
                .toList();
    }
}
