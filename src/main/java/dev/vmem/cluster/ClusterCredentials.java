package dev.vmem.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

/**
 * A member's ZooKeeper digest credentials: a user name and a secret. The secret never appears in
 * {@link #toString()}, in a log line or in an exception message; it comes from configuration (a file or the
 * environment, see {@link #fromFile}), never from code or a command line.
 */
public final class ClusterCredentials {
    private final String user;
    private final byte[] secret;

    private ClusterCredentials(String user, byte[] secret) {
        this.user = user;
        this.secret = secret;
    }

    /**
     * Digest credentials {@code user:secret}.
     *
     * @throws IllegalArgumentException if the user is empty or holds ':', or the secret is empty (the message
     *         names the user, never the secret)
     */
    public static ClusterCredentials digest(String user, String secret) {
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(secret, "secret");
        if (user.isEmpty() || user.indexOf(':') >= 0 || !user.strip().equals(user)) {
            throw new IllegalArgumentException("ZooKeeper user '" + user
                    + "' must be non-empty, without ':' or surrounding white space");
        }
        if (secret.isEmpty()) {
            throw new IllegalArgumentException("the secret of ZooKeeper user '" + user + "' is empty");
        }
        return new ClusterCredentials(user, secret.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Reads {@code user:secret} from the first line of {@code file}, which should be readable by its owner only.
     *
     * @throws IllegalArgumentException naming the file if it cannot be read or holds no {@code user:secret}
     */
    public static ClusterCredentials fromFile(Path file) {
        String line;
        try {
            line = Files.readAllLines(file, StandardCharsets.UTF_8).stream().findFirst().orElse("").strip();
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read ZooKeeper credentials file " + file + ": "
                    + e.getClass().getSimpleName(), e);
        }
        int colon = line.indexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("ZooKeeper credentials file " + file
                    + " must hold user:secret on its first line");
        }
        return digest(line.substring(0, colon), line.substring(colon + 1));
    }

    public String user() {
        return user;
    }

    /** {@code user:secret} as ZooKeeper's digest scheme takes it; a copy. */
    byte[] authBytes() {
        byte[] u = user.getBytes(StandardCharsets.UTF_8);
        byte[] out = Arrays.copyOf(u, u.length + 1 + secret.length);
        out[u.length] = ':';
        System.arraycopy(secret, 0, out, u.length + 1, secret.length);
        return out;
    }

    @Override
    public String toString() {
        return "ClusterCredentials[digest user=" + user + ", secret=***]";
    }
}
