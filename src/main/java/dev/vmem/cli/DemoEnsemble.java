package dev.vmem.cli;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.zookeeper.server.quorum.QuorumPeerConfig;
import org.apache.zookeeper.server.quorum.QuorumPeerMain;

/**
 * Three ZooKeeper servers in this JVM, bound to 127.0.0.1, each in a data directory under {@code dir}, for
 * {@code vmem demo --cluster}: one can be killed while the others keep the quorum. Tick 500 ms: sessions of 1 to
 * 10 s. The admin server (which needs Jetty) is off.
 */
final class DemoEnsemble implements AutoCloseable {
    private final List<Server> servers = new ArrayList<>();
    private final String connectString;

    /** One server: its thread runs until {@link QuorumPeerMain#close()}. */
    private static final class Server {
        final QuorumPeerMain main = new QuorumPeerMain();
        final Thread thread;
        volatile boolean closed;

        Server(QuorumPeerConfig config, int id) {
            thread = new Thread(() -> {
                try {
                    main.runFromConfig(config);
                } catch (Exception e) {
                    if (!closed) {
                        throw new IllegalStateException("ZooKeeper server " + id + " failed", e);
                    }
                }
            }, "demo-zookeeper-" + id);
            thread.setDaemon(true);
        }

        void close() {
            closed = true;
            main.close();
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    DemoEnsemble(Path dir) throws Exception {
        System.setProperty("zookeeper.admin.enableServer", "false");
        // a server that fails asks for System.exit, which would end the demo's report with it
        // (by reflection: javac warns about the SpotBugs annotations of ZooKeeper's ServiceUtils class file)
        Class<?> serviceUtils = Class.forName("org.apache.zookeeper.util.ServiceUtils");
        serviceUtils.getMethod("setSystemExitProcedure", java.util.function.Consumer.class)
                .invoke(null, serviceUtils.getField("LOG_ONLY").get(null));
        int[] client = new int[3];
        int[] quorum = new int[3];
        int[] election = new int[3];
        for (int i = 0; i < 3; i++) {
            client[i] = freePort();
            quorum[i] = freePort();
            election[i] = freePort();
        }
        List<String> hosts = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            hosts.add("127.0.0.1:" + client[i]);
        }
        connectString = String.join(",", hosts);
        for (int i = 0; i < 3; i++) {
            Path data = Files.createDirectories(dir.resolve("zk" + (i + 1)));
            Files.writeString(data.resolve("myid"), Integer.toString(i + 1), StandardCharsets.US_ASCII);
            Properties p = new Properties();
            p.setProperty("tickTime", "500");
            p.setProperty("initLimit", "10");
            p.setProperty("syncLimit", "5");
            p.setProperty("dataDir", data.toString());
            p.setProperty("clientPortAddress", "127.0.0.1");
            p.setProperty("clientPort", Integer.toString(client[i]));
            p.setProperty("admin.enableServer", "false");
            for (int j = 0; j < 3; j++) {
                p.setProperty("server." + (j + 1), "127.0.0.1:" + quorum[j] + ":" + election[j]);
            }
            QuorumPeerConfig config = new QuorumPeerConfig();
            config.parseProperties(p);
            servers.add(new Server(config, i + 1));
        }
        servers.forEach(s -> s.thread.start());
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    String connectString() {
        return connectString;
    }

    /** Stops server {@code index} (0 to 2) as a crash would, for the demo. */
    void kill(int index) {
        servers.get(index).close();
    }

    @Override
    public void close() {
        for (Server s : servers) {
            if (!s.closed) {
                s.close();
            }
        }
    }
}
