package dev.vmem.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The test ensemble cleans up after itself: nothing its servers wrote is left once it is closed. */
@Tag("zookeeper") // the build runs these alone in one JVM: see ZkEnsemble
class ZkEnsembleTest {

    @Test
    void close_leavesNothingBehind_evenAfterARestart() throws Exception {
        ZkEnsemble zk = new ZkEnsemble();
        Path home = zk.home;
        try {
            zk.cluster.restartServer(zk.cluster.getInstances().iterator().next());
            try (Stream<Path> written = Files.list(home)) {
                assertTrue(written.anyMatch(p -> p.getFileName().toString().startsWith("zookeeper.configuration")),
                        "the servers write their configuration beside their data directories, in " + home);
            }
        } finally {
            zk.close();
        }
        assertFalse(Files.exists(home), home + " is left after close");
        assertEquals(Set.of(), leftInTemp(home), "configuration files of these servers left in the system's temp");
    }

    /**
     * The ZooKeeper configuration files in the system's temporary directory that name a data directory under
     * {@code home} (other builds on the machine may leave theirs there meanwhile).
     */
    private static Set<Path> leftInTemp(Path home) throws IOException {
        try (Stream<Path> all = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return all.filter(p -> p.getFileName().toString().startsWith("zookeeper.configuration"))
                    .filter(p -> read(p).contains(home.getFileName().toString()))
                    .collect(Collectors.toSet());
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException gone) { // deleted by its writer meanwhile
            return "";
        }
    }
}
