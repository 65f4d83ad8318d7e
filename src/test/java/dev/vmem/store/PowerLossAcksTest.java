package dev.vmem.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vmem.Policy;
import dev.vmem.store.PowerLossLog.AckKind;
import dev.vmem.store.PowerLossLog.Acked;
import dev.vmem.store.PowerLossLog.Began;
import dev.vmem.store.PowerLossLog.Event;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The power-loss checker's reading of a history: a cut among one unit's acknowledgements, which the workload
 * appends at once, counts them all. (Found when a cut between a batch's acknowledgements showed its ring
 * allocation before a wrap as acknowledged and the wrap itself as neither acknowledged nor in flight.)
 */
class PowerLossAcksTest {
    private static final String RING = PowerLossWorkload.RING;

    private static Acked alloc(int unit, String arena, long base, long size) {
        return new Acked(1, unit, Durability.BUFFERED, AckKind.ALLOC, arena, Policy.NEXT_FIT, base, size);
    }

    /** Unit 1 reaches 250 in the ring; unit 2, a batch, takes 252+3 and then wraps to 0+2. */
    private static final List<Event> HISTORY = List.of(
            new Began(1, 1, Durability.SYNC, Map.of(RING, 5L)),
            alloc(1, RING, 245, 5),
            new Began(1, 2, Durability.BUFFERED, Map.of(RING, 5L)),
            alloc(2, RING, 252, 3),
            alloc(2, RING, 0, 2),
            new Began(1, 3, Durability.BUFFERED, Map.of(RING, 1L)),
            alloc(3, RING, 2, 1),
            alloc(4, RING, 3, 1));

    @Test
    void aCutAmongAUnitsAcknowledgementsCountsThemAll() {
        PowerLossAcks acks = PowerLossAcks.before(HISTORY, 4);
        assertEquals(2L, acks.lapEnd.get(RING), "the wrap to 0+2 is acknowledged with 252+3");
        assertEquals(Map.of(), acks.inFlight);
        assertEquals(5, PowerLossAcks.instant(HISTORY, 4));
    }

    @Test
    void aCutBeforeAUnitsFirstAcknowledgementLeavesItInFlight() {
        PowerLossAcks acks = PowerLossAcks.before(HISTORY, 3);
        assertEquals(250L, acks.lapEnd.get(RING));
        assertEquals(List.of(2), List.copyOf(acks.inFlight.keySet()));
        assertEquals(5L, acks.inFlightNextFit(RING));
        assertEquals(3, PowerLossAcks.instant(HISTORY, 3));
    }

    @Test
    void aCutBetweenTwoUnitsAcknowledgementsStaysWhereItIs() {
        assertEquals(7, PowerLossAcks.instant(HISTORY, 7), "units 3 and 4 are acknowledged apart");
        assertEquals(3L, PowerLossAcks.before(HISTORY, 7).lapEnd.get(RING));
        assertEquals(0, PowerLossAcks.instant(HISTORY, 0));
        assertEquals(HISTORY.size(), PowerLossAcks.instant(HISTORY, HISTORY.size()));
    }
}
