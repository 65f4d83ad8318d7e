package dev.vmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A refused free names the call as it was made (the size only when one was given) and why it was refused. */
class BadFreeMessagesTest {

    @ParameterizedTest(name = "qcacheMax={0}")
    @ValueSource(longs = {0, 64})
    void aFreeOfAValueInNoSpan_namesTheCall(long qcacheMax) {
        Arena a = Arena.builder("ids").quantum(8).qcacheMax(qcacheMax).span(0, 800).build();
        InvalidFreeException plain = assertThrows(InvalidFreeException.class, () -> a.free(800));
        assertEquals("free(base=800) in arena 'ids': the value is in no span (double free, or never allocated here)",
                plain.getMessage());
        InvalidFreeException sized = assertThrows(InvalidFreeException.class, () -> a.free(800, 16));
        assertEquals("free(base=800, size=16) in arena 'ids': the value is in no span (double free, or never "
                + "allocated here)", sized.getMessage());
        assertEquals(List.of(), a.checkInvariants());
    }

    @ParameterizedTest(name = "qcacheMax={0}")
    @ValueSource(longs = {0, 64})
    void aFreeInsideAnAllocation_orWithTheWrongSize_namesTheCall(long qcacheMax) {
        Arena a = Arena.builder("ids").quantum(8).qcacheMax(qcacheMax).span(0, 800).build();
        long b = a.alloc(80, Policy.INSTANT_FIT);
        InvalidFreeException inside = assertThrows(InvalidFreeException.class, () -> a.free(b + 8, 8));
        assertEquals("free(base=" + (b + 8) + ", size=8) in arena 'ids': the value is not the base of a live "
                + "allocation (double free, or never allocated here)", inside.getMessage());
        InvalidFreeException wrongSize = assertThrows(InvalidFreeException.class, () -> a.free(b, 72));
        assertEquals("free(base=" + b + ", size=72) in arena 'ids': the allocation at base=" + b + " has size=80",
                wrongSize.getMessage());
        a.free(b, 80);
        assertEquals(List.of(), a.checkInvariants());
    }
}
