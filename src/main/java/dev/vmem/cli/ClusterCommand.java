package dev.vmem.cli;

import dev.vmem.cluster.ClusterAdmin;
import dev.vmem.cluster.ClusterStatus;
import dev.vmem.cluster.SpaceDefinition;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Parameters;

@Command(name = "cluster", description = {"One number space shared by nodes on many hosts, kept in ZooKeeper: each "
        + "node's arena imports fenced leases from it (see dev.vmem.cluster.ClusterNode).",
        "",
        "Example: vmem cluster init --zk zk1:2181,zk2:2181,zk3:2181 --path /vmem/orders --size 1T --lease-size 4096"},
        subcommands = {ClusterCommand.Init.class, ClusterCommand.Status.class, ClusterCommand.Decommission.class})
final class ClusterCommand {
    @ParentCommand
    VmemCommand root;

    /** Opens an admin connection as the options and the configuration say. */
    ClusterAdmin admin(ClusterOptions where) {
        return ClusterAdmin.connect(where.zk(root.config()), where.path(root.config()),
                where.credentials(root.config()), where.connectTimeout());
    }

    @Command(name = "init", description = {"Create the space once, its znodes readable and writable by members only "
            + "(the credentials' digest ACL). Refused if it exists with another definition; nothing changes if it "
            + "exists with the same one."})
    static final class Init implements Callable<Integer> {
        @ParentCommand
        ClusterCommand cluster;

        @Mixin
        ClusterOptions where;

        @Option(names = "--base", paramLabel = "N", converter = Numbers.class, defaultValue = "0",
                description = "The first value (default 0).")
        long base;

        @Option(names = "--size", paramLabel = "N", converter = Numbers.class, required = true,
                description = "How many values.")
        long size;

        @Option(names = "--quantum", paramLabel = "Q", converter = Numbers.class, defaultValue = "1",
                description = "Granularity, a power of two (default 1).")
        long quantum;

        @Option(names = "--lease-size", paramLabel = "N", converter = Numbers.class, defaultValue = "1024",
                description = "The least a node leases and imports at a time, a power of two (default 1024).")
        long leaseSize;

        @Override
        public Integer call() {
            SpaceDefinition d = new SpaceDefinition(base, size, quantum, leaseSize);
            try (ClusterAdmin admin = cluster.admin(where)) {
                boolean created = admin.init(d);
                cluster.root.out().println((created ? "created " : "exists already: ") + where.path(cluster.root.config())
                        + " " + d);
            }
            return 0;
        }
    }

    @Command(name = "status", description = "Members, epochs, leases, free space and the cursor of the space.")
    static final class Status implements Callable<Integer> {
        @ParentCommand
        ClusterCommand cluster;

        @Mixin
        ClusterOptions where;

        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Override
        public Integer call() {
            ClusterStatus s;
            try (ClusterAdmin admin = cluster.admin(where)) {
                s = admin.status();
            }
            PrintWriter out = cluster.root.out();
            if (json) {
                out.println(json(s));
                return 0;
            }
            SpaceDefinition d = s.space();
            out.printf("space [%d, %d) quantum=%d leaseSize=%d%n", d.base(), d.end(), d.quantum(), d.leaseSize());
            out.printf("cursor %d; free %d values (%d never leased, %d given back); leased %d in %d leases%n",
                    s.cursor(), s.freeValues(), d.end() - s.cursor(), s.returnedValues(), s.leasedValues(),
                    s.leases().size());
            out.printf("%-20s %8s %-5s %-14s %8s %14s%n", "NODE", "EPOCH", "LIVE", "STATE", "LEASES", "VALUES");
            for (ClusterStatus.Member m : s.members()) {
                out.printf("%-20s %8d %-5s %-14s %8d %14d%n", m.node(), m.epoch(), m.live() ? "yes" : "no",
                        m.decommissioned() ? "decommissioned" : "member", m.leases(), m.leasedValues());
            }
            for (ClusterStatus.LeaseInfo l : s.leases()) {
                out.printf("lease [%d, %d) %s epoch %d%n", l.base(), l.base() + l.size(), l.owner(), l.epoch());
            }
            return 0;
        }

        static String json(ClusterStatus s) {
            Json j = new Json().beginObject().object("space").field("base", s.space().base())
                    .field("size", s.space().size()).field("quantum", s.space().quantum())
                    .field("lease_size", s.space().leaseSize()).endObject()
                    .field("cursor", s.cursor()).field("free", s.freeValues())
                    .field("returned", s.returnedValues()).field("leased", s.leasedValues()).beginArray("members");
            for (ClusterStatus.Member m : s.members()) {
                j.beginObject().field("node", m.node()).field("epoch", m.epoch()).field("live", m.live())
                        .field("decommissioned", m.decommissioned()).field("leases", m.leases())
                        .field("values", m.leasedValues()).endObject();
            }
            j.endArray().beginArray("leases");
            for (ClusterStatus.LeaseInfo l : s.leases()) {
                j.beginObject().field("base", l.base()).field("size", l.size()).field("owner", l.owner())
                        .field("epoch", l.epoch()).endObject();
            }
            return j.endArray().endObject().toString();
        }
    }

    @Command(name = "decommission", description = {"Declare a stopped node gone: its registration is bumped and its "
            + "leases become free for other nodes. If it comes back it registers anew and serves nothing from them. "
            + "Refused while the node's ZooKeeper session is live."})
    static final class Decommission implements Callable<Integer> {
        @ParentCommand
        ClusterCommand cluster;

        @Mixin
        ClusterOptions where;

        @Parameters(index = "0", paramLabel = "NODE")
        String node;

        @Override
        public Integer call() {
            try (ClusterAdmin admin = cluster.admin(where)) {
                long freed = admin.decommission(node);
                cluster.root.out().println("decommissioned " + node + ": " + freed + " leased values are free again");
            }
            return 0;
        }
    }
}
