package dev.vmem.store;

import java.util.List;
import java.util.Map;

/**
 * A store written by format version 3 (src/test/resources/golden/v3, made by {@link GoldenStoreGenerator}
 * with the same history as the older versions', so it holds the same contents) must keep opening with
 * exactly those contents. Format 3 differs from format 2 in the HEAD slot (it carries the acknowledged
 * sequence: 60 bytes) and in what the history does not use (rotor marks); its checkpoints hold allocations
 * as pairs of int64s, which format 4 replaced by a compact encoding, so reading these pins that older
 * layout. If this test fails after a change, the change broke compatibility with stores on disk: bump
 * {@link StoreFormat#VERSION} and keep reading version 3, never regenerate these files.
 */
class GoldenFormat3Test extends GoldenStoreContract {
    private static final String SEGMENT = "journal/J00000000000000000022.wal";

    @Override
    int formatVersion() {
        return 3;
    }

    @Override
    List<String> expectedFiles() {
        return List.of("FORMAT", "HEAD", "checkpoint-0.db", "checkpoint-1.db", SEGMENT);
    }

    @Override
    Map<String, Long> expectedSizes() {
        return Map.of("FORMAT", 20L, "HEAD", 4096L + 60, SEGMENT, 24L + (24 + 46) + (24 + 25) + (24 + 25) + (24 + 46));
    }

    @Override
    long[] checkpointSeqs() {
        return new long[] {21, 21};
    }

    @Override
    int upgradedFrom() {
        return 3;
    }
}
