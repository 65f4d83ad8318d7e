package dev.vmem.cli;

import dev.vmem.cluster.ClusterCredentials;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import picocli.CommandLine.Option;

/**
 * Where a cluster space is, for the {@code vmem cluster} commands: the ZooKeeper ensemble, the space's path and a
 * member's credentials. The secret is read from a file or the environment, never from the command line (which
 * other users of the machine can see).
 */
final class ClusterOptions {
    static final String CREDENTIALS_ENV = "VMEM_CLUSTER_CREDENTIALS";

    @Option(names = "--zk", paramLabel = "HOST:PORT,...",
            description = "The ZooKeeper ensemble (default: cluster.zk= in config/vmem.properties).")
    String zk;

    @Option(names = "--path", paramLabel = "ZNODE",
            description = "The space's ZooKeeper path, e.g. /vmem/orders (default: cluster.path= in the config).")
    String path;

    @Option(names = "--credentials-file", paramLabel = "FILE",
            description = "A file holding a member's user:secret (default: cluster.credentials= in the config, else "
                    + "the environment variable " + CREDENTIALS_ENV + "; none for a space without ACLs).")
    Path credentialsFile;

    @Option(names = "--connect-timeout", paramLabel = "MS", defaultValue = "5000",
            description = "How long to wait for ZooKeeper (default 5000).")
    long connectMillis;

    String zk(Properties config) {
        return required(zk, config, "cluster.zk", "--zk");
    }

    String path(Properties config) {
        return required(path, config, "cluster.path", "--path");
    }

    Duration connectTimeout() {
        if (connectMillis < 100) {
            throw new IllegalArgumentException("--connect-timeout=" + connectMillis + " must be at least 100 ms");
        }
        return Duration.ofMillis(connectMillis);
    }

    /** The credentials, or null when none are configured. */
    ClusterCredentials credentials(Properties config) {
        Path file = credentialsFile != null ? credentialsFile
                : config.getProperty("cluster.credentials") != null
                        ? Path.of(config.getProperty("cluster.credentials").strip()) : null;
        if (file != null) {
            return ClusterCredentials.fromFile(file);
        }
        String env = System.getenv(CREDENTIALS_ENV);
        if (env == null || env.isEmpty()) {
            return null;
        }
        int colon = env.indexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException(CREDENTIALS_ENV + " must hold user:secret");
        }
        return ClusterCredentials.digest(env.substring(0, colon), env.substring(colon + 1));
    }

    private static String required(String given, Properties config, String key, String option) {
        String v = given != null ? given : config.getProperty(key);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException("no cluster given: use " + option + " or " + key
                    + "= in config/vmem.properties");
        }
        return v.strip();
    }
}
