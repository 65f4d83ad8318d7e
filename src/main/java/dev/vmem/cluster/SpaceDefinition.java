package dev.vmem.cluster;

import java.util.Map;
import java.util.TreeMap;

/**
 * What a cluster number space is: the values {@code [base, base + size)}, handed out in multiples of
 * {@code quantum}, leased to nodes at least {@code leaseSize} at a time (a node imports one lease-sized chunk
 * into its arena at a time; a lease it takes from the cluster may be a multiple of it, see
 * {@link ClusterSource}).
 *
 * @param base      first value, a multiple of the quantum
 * @param size      number of values, a positive multiple of the lease size
 * @param quantum   power of two
 * @param leaseSize power-of-two multiple of the quantum
 */
public record SpaceDefinition(long base, long size, long quantum, long leaseSize) {

    /** @throws IllegalArgumentException naming the value when the definition is invalid */
    public SpaceDefinition {
        if (quantum <= 0 || Long.bitCount(quantum) != 1) {
            throw new IllegalArgumentException("quantum=" + quantum + " is not a power of two");
        }
        if (leaseSize < quantum || Long.bitCount(leaseSize) != 1) {
            throw new IllegalArgumentException("leaseSize=" + leaseSize + " is not a power of two >= quantum="
                    + quantum);
        }
        if (base < 0 || (base & (quantum - 1)) != 0) {
            throw new IllegalArgumentException("base=" + base + " is not a non-negative multiple of quantum="
                    + quantum);
        }
        if (size <= 0 || size % leaseSize != 0 || base > Long.MAX_VALUE - size) {
            throw new IllegalArgumentException("size=" + size + " is not a positive multiple of leaseSize="
                    + leaseSize + " ending by 2^63 (base=" + base + ")");
        }
    }

    public long end() {
        return base + size;
    }

    /** The text stored in the space's root znode. */
    String encode() {
        return "base=" + base + "\nsize=" + size + "\nquantum=" + quantum + "\nleaseSize=" + leaseSize + "\n";
    }

    /** @throws IllegalArgumentException if {@code text} is not a definition this class wrote */
    static SpaceDefinition decode(String text) {
        Map<String, Long> v = SpaceLayout.fields(text);
        for (String k : new String[] {"base", "size", "quantum", "leaseSize"}) {
            if (!v.containsKey(k)) {
                throw new IllegalArgumentException("space definition lacks " + k + ": '" + text.strip() + "'");
            }
        }
        return new SpaceDefinition(v.get("base"), v.get("size"), v.get("quantum"), v.get("leaseSize"));
    }

    @Override
    public String toString() {
        Map<String, Long> m = new TreeMap<>(Map.of("base", base, "size", size, "quantum", quantum,
                "leaseSize", leaseSize));
        return "SpaceDefinition" + m;
    }
}
