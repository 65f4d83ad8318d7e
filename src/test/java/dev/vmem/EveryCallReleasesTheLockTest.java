package dev.vmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every public call leaves the arena's lock free, whether it returns or throws: after it, another thread
 * gets through at once. (A call that kept the lock would go unnoticed by a single-threaded test, since
 * the lock is reentrant.)
 */
class EveryCallReleasesTheLockTest {
    private static ExecutorService other;

    @BeforeAll
    static void startOtherThread() {
        other = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "other");
            t.setDaemon(true); // a call that kept the lock leaves it blocked for good
            return t;
        });
    }

    @AfterAll
    static void stopOtherThread() throws InterruptedException {
        other.shutdownNow();
        other.awaitTermination(5, TimeUnit.SECONDS);
    }

    private static Arguments call(String name, Consumer<Arena> call) {
        return Arguments.of(name, call);
    }

    static Stream<Arguments> calls() {
        Constraints tooBig = Constraints.builder(1 << 20).build();
        return Stream.of(
                call("contains", a -> a.contains(5)),
                call("alloc", a -> a.alloc(8, Policy.BEST_FIT)),
                call("alloc exhausted", a -> assertThrows(ArenaExhaustedException.class,
                        () -> a.alloc(1 << 20, Policy.INSTANT_FIT))),
                call("xalloc", a -> a.xalloc(Constraints.builder(8).align(16).build(), Policy.NEXT_FIT)),
                call("xalloc exhausted", a -> assertThrows(ArenaExhaustedException.class,
                        () -> a.xalloc(tooBig, Policy.INSTANT_FIT))),
                call("tryXalloc", a -> assertEquals(Arena.NONE, a.tryXalloc(tooBig, Policy.BEST_FIT))),
                call("free", a -> a.free(a.alloc(8, Policy.INSTANT_FIT))),
                call("bad free", a -> assertThrows(InvalidFreeException.class, () -> a.free(3))),
                call("addSpan", a -> a.addSpan(1 << 20, 64)),
                call("overlapping addSpan", a -> assertThrows(IllegalArgumentException.class,
                        () -> a.addSpan(0, 64))),
                call("claim", a -> a.claim(2048, 8)),
                call("claim in use", a -> assertThrows(RangeInUseException.class, () -> a.claim(0, 8))),
                call("claim outside", a -> assertThrows(IllegalArgumentException.class, () -> a.claim(8192, 8))),
                call("reconcile", a -> a.reconcile(java.util.List.of(new Allocation(0, 100), new Allocation(200, 4)))),
                call("bad reconcile", a -> assertThrows(IllegalArgumentException.class,
                        () -> a.reconcile(java.util.List.of(new Allocation(0, 8), new Allocation(4, 8))))),
                call("reapCaches", Arena::reapCaches),
                call("stats", Arena::stats),
                call("segments", Arena::segments),
                call("dump", Arena::dump),
                call("checkInvariants", Arena::checkInvariants),
                call("nextFitCursor", Arena::nextFitCursor));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("calls")
    void afterTheCall_anotherThreadGetsThrough(String name, Consumer<Arena> call) throws Exception {
        for (long qcacheMax : new long[] {0, 16}) {
            Arena a = Arena.builder("locked").quantum(1).qcacheMax(qcacheMax).span(0, 4096).build();
            a.alloc(100, Policy.INSTANT_FIT);
            call.accept(a);
            List<String> problems = other.submit(a::checkInvariants).get(5, TimeUnit.SECONDS);
            assertEquals(List.of(), problems, name + " with qcacheMax=" + qcacheMax);
            assertEquals(List.of(), a.checkInvariants());
        }
    }
}
