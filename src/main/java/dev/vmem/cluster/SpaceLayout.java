package dev.vmem.cluster;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * The znodes of one cluster number space, and what each holds (text of {@code key=value} lines, so that
 * {@code zkCli get} shows it):
 * <pre>
 *   PATH                 base= size= quantum= leaseSize=     the definition (SpaceDefinition)
 *   PATH/cursor          next=                               every value in [next, end) was never leased
 *   PATH/members/NODE    epoch= decommissioned=0|1           its version fences every lease operation of NODE
 *   PATH/live/NODE       epoch=              (ephemeral)     NODE's ZooKeeper session; gone when it expires
 *   PATH/leases/BASE     owner= epoch= size=                 [BASE, BASE + size) is leased to owner
 *   PATH/free/BASE       size=                               [BASE, BASE + size) was leased and given back
 * </pre>
 * BASE is the decimal base, zero-padded to 19 digits so that names sort as numbers. Every lease operation is one
 * ZooKeeper {@code multi} that starts with {@code check(members/NODE, version)} and {@code check(live/NODE)}: a
 * node whose registration was bumped (a decommission, or a newer registration of the same id) or whose session
 * expired changes nothing. Leases and free spans never overlap each other or {@code [cursor, end)}, and together
 * with it they tile the space.
 */
final class SpaceLayout {
    final String root;

    SpaceLayout(String root) {
        this.root = root;
    }

    String cursor() {
        return root + "/cursor";
    }

    String members() {
        return root + "/members";
    }

    String member(String node) {
        return members() + "/" + node;
    }

    String lives() {
        return root + "/live";
    }

    String live(String node) {
        return lives() + "/" + node;
    }

    String leases() {
        return root + "/leases";
    }

    String lease(long base) {
        return leases() + "/" + name(base);
    }

    String frees() {
        return root + "/free";
    }

    String free(long base) {
        return frees() + "/" + name(base);
    }

    static String name(long base) {
        return String.format("%019d", base);
    }

    /** @throws IllegalArgumentException if {@code child} is not a name {@link #name} wrote */
    static long baseOf(String child) {
        if (child.length() != 19 || !child.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException("znode name '" + child + "' is not a 19-digit base");
        }
        return Long.parseLong(child);
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    static String text(byte[] data) {
        return data == null ? "" : new String(data, StandardCharsets.UTF_8);
    }

    static byte[] memberData(long epoch, boolean decommissioned) {
        return bytes("epoch=" + epoch + "\ndecommissioned=" + (decommissioned ? 1 : 0) + "\n");
    }

    static byte[] leaseData(String owner, long epoch, long size) {
        return bytes("owner=" + owner + "\nepoch=" + epoch + "\nsize=" + size + "\n");
    }

    static String owner(byte[] leaseData) {
        for (String line : text(leaseData).split("\n")) {
            if (line.startsWith("owner=")) {
                return line.substring(6);
            }
        }
        throw new IllegalArgumentException("lease record without owner: '" + text(leaseData).strip() + "'");
    }

    /** The numeric {@code key=value} lines of {@code text}; other lines are skipped. */
    static Map<String, Long> fields(String text) {
        Map<String, Long> out = new HashMap<>();
        for (String line : text.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                try {
                    out.put(line.substring(0, eq), Long.parseLong(line.substring(eq + 1).strip()));
                } catch (NumberFormatException e) {
                    // not numeric: the owner of a lease, read by owner()
                }
            }
        }
        return out;
    }

    /** The numeric field {@code key} of {@code data}. */
    static long field(byte[] data, String key) {
        Long v = fields(text(data)).get(key);
        if (v == null) {
            throw new IllegalArgumentException("record lacks " + key + ": '" + text(data).strip() + "'");
        }
        return v;
    }
}
