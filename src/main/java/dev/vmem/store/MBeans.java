package dev.vmem.store;

import java.lang.management.ManagementFactory;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registers and unregisters the store's beans with the platform MBean server. A failure is logged, never
 * thrown: JMX is for watching a store, not for running it.
 */
final class MBeans {
    private static final Logger LOG = LoggerFactory.getLogger(MBeans.class);

    /** An object name, whose construction may fail. */
    @FunctionalInterface
    interface Name {
        ObjectName get() throws JMException;
    }

    private MBeans() {
    }

    /** Registers {@code bean} under {@code name} unless a bean has that name; {@code what} names it in a warning. */
    static void register(Name name, Object bean, String what) {
        try {
            MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            ObjectName n = name.get();
            if (!server.isRegistered(n)) {
                server.registerMBean(bean, n);
            }
        } catch (JMException | RuntimeException e) {
            LOG.warn("could not register {} with JMX: {}", what, e.toString());
        }
    }

    static void unregister(Name name, String what) {
        try {
            MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            ObjectName n = name.get();
            if (server.isRegistered(n)) {
                server.unregisterMBean(n);
            }
        } catch (JMException | RuntimeException e) {
            LOG.warn("could not unregister {} from JMX: {}", what, e.toString());
        }
    }
}
