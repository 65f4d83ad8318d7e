package dev.vmem.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal's channel against a model byte array: positional writes (in sequence, which skip the seek, and
 * anywhere else), growth with zeros, cuts, sizes, in random order; and what it leaves of a buffer, how it creates
 * a file, and that a closed channel stays closed.
 */
class InterruptSafeChannelTest {
    @TempDir
    Path dir;

    @Test
    void randomWritesExtendsAndTruncates_leaveExactlyTheModelsBytes() throws IOException {
        long seed = System.nanoTime();
        System.out.println("InterruptSafeChannelTest seed " + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        Path file = dir.resolve("f");
        byte[] model = new byte[0];
        InterruptSafeChannel ch = new InterruptSafeChannel(file);
        try {
            long sequential = 0;
            for (int step = 0; step < 2_000; step++) {
                String ctx = "seed " + seed + " step " + step + ": ";
                int op = rnd.nextInt(10);
                if (op < 6) {
                    // Mostly in sequence after the last write, as the journal writes; else anywhere, past the end too.
                    long at = op < 4 ? sequential : rnd.nextInt(model.length + 300);
                    byte[] bytes = new byte[1 + rnd.nextInt(200)];
                    rnd.nextBytes(bytes);
                    ByteBuffer buffer = wrapped(bytes, rnd.nextInt(3));
                    ch.write(buffer, at);
                    assertEquals(0, buffer.remaining(), ctx + "the write consumed the buffer");
                    if (at + bytes.length > model.length) {
                        model = Arrays.copyOf(model, (int) (at + bytes.length));
                    }
                    System.arraycopy(bytes, 0, model, (int) at, bytes.length);
                    sequential = at + bytes.length;
                } else if (op < 8) {
                    long size = rnd.nextInt(model.length + 100_000); // past 64 KiB: more than one chunk of zeros
                    ch.extend(size);
                    if (size > model.length) {
                        model = Arrays.copyOf(model, (int) size);
                    }
                } else {
                    long size = rnd.nextInt(model.length + 100);
                    ch.truncate(size);
                    if (size < model.length) {
                        model = Arrays.copyOf(model, (int) size);
                    }
                    // The next write in sequence may land past the new end: the file's offset is not where it was.
                }
                assertEquals(model.length, ch.size(), ctx + "size");
            }
            ch.force();
        } finally {
            ch.close();
        }
        assertArrayEquals(model, Files.readAllBytes(file), "seed " + seed + ": the file's bytes");
    }

    /** The bytes from a heap buffer with an offset, a read-only buffer (no array), or a direct one. */
    private static ByteBuffer wrapped(byte[] bytes, int kind) {
        switch (kind) {
            case 0:
                ByteBuffer padded = ByteBuffer.allocate(bytes.length + 10);
                padded.position(7);
                ByteBuffer slice = padded.slice();
                slice.put(bytes, 0, bytes.length).flip();
                return slice;
            case 1:
                return ByteBuffer.wrap(bytes).asReadOnlyBuffer();
            default:
                ByteBuffer direct = ByteBuffer.allocateDirect(bytes.length);
                direct.put(bytes).flip();
                return direct;
        }
    }

    @Test
    void writeOfPartOfABuffer_writesFromItsPositionToItsLimit() throws IOException {
        Path file = dir.resolve("part");
        InterruptSafeChannel ch = new InterruptSafeChannel(file);
        try {
            ByteBuffer buffer = ByteBuffer.wrap(new byte[] {1, 2, 3, 4, 5, 6});
            buffer.position(2).limit(5);
            ch.write(buffer, 1);
            assertEquals(5, buffer.position(), "position moved to the limit");
        } finally {
            ch.close();
        }
        assertArrayEquals(new byte[] {0, 3, 4, 5}, Files.readAllBytes(file));
    }

    @Test
    void newFile_isTheOwnersOnly_andAnExistingFileKeepsItsBytes() throws IOException {
        Path file = dir.resolve("new");
        new InterruptSafeChannel(file).close();
        if (FileModes.supported(file)) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        }
        Path existing = dir.resolve("existing");
        Files.write(existing, new byte[] {9, 8, 7});
        InterruptSafeChannel ch = new InterruptSafeChannel(existing);
        try {
            assertEquals(3, ch.size());
            ch.truncate(5); // longer than the file: nothing changes
            assertEquals(3, ch.size());
        } finally {
            ch.close();
        }
        assertArrayEquals(new byte[] {9, 8, 7}, Files.readAllBytes(existing));
    }

    @Test
    void closedChannel_refusesEveryCall() throws IOException {
        InterruptSafeChannel ch = new InterruptSafeChannel(dir.resolve("closed"));
        ch.close();
        assertThrows(ClosedChannelException.class, () -> ch.write(ByteBuffer.wrap(new byte[] {1}), 0));
        assertThrows(ClosedChannelException.class, () -> ch.extend(10));
        assertThrows(ClosedChannelException.class, () -> ch.truncate(0));
        assertThrows(ClosedChannelException.class, ch::size);
        assertThrows(ClosedChannelException.class, ch::force);
    }
}
