package dev.vmem.store;

import dev.vmem.ArenaChange;
import dev.vmem.Quarantine;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Encodes a unit of {@link Op}s as a journal payload and back (layout: {@link StoreFormat}). */
final class UnitCodec {
    private UnitCodec() {
    }

    static byte[] encode(List<Op> ops) {
        int size = StoreFormat.UNIT_COUNT_BYTES;
        int count = 0;
        for (Op op : ops) {
            size += sizeOf(op);
            count += op instanceof Op.Create c && c.quarantine().isActive() ? 2 : 1; // CREATE, QUARANTINE
        }
        ByteBuffer b = ByteBuffer.allocate(size);
        b.putInt(count);
        for (Op op : ops) {
            put(b, op);
        }
        return b.array();
    }

    private static int sizeOf(Op op) {
        if (op instanceof Op.Create c) {
            return StoreFormat.OP_HEAD_BYTES + StoreFormat.OP_CREATE_FIXED_BYTES
                    + c.name().getBytes(StandardCharsets.UTF_8).length
                    + (c.quarantine().isActive() ? StoreFormat.OP_HEAD_BYTES + StoreFormat.OP_QUARANTINE_BYTES : 0);
        }
        if (op instanceof Op.Drop) {
            return StoreFormat.OP_HEAD_BYTES;
        }
        if (op instanceof Op.Mark) {
            return StoreFormat.OP_HEAD_BYTES + StoreFormat.OP_MARK_BYTES;
        }
        ArenaChange change = ((Op.Change) op).change();
        return StoreFormat.OP_HEAD_BYTES + StoreFormat.OP_CHANGE_BYTES
                + (change instanceof ArenaChange.SpanAdded ? StoreFormat.OP_SPAN_FLAG_BYTES : 0);
    }

    private static void put(ByteBuffer b, Op op) {
        if (op instanceof Op.Create c) {
            byte[] name = c.name().getBytes(StandardCharsets.UTF_8);
            b.put(StoreFormat.OP_CREATE).putInt(c.arena()).putLong(c.quantum()).putLong(c.importQuantum())
                    .putLong(c.qcacheMax()).putInt(c.source()).putShort((short) name.length).put(name);
            if (c.quarantine().isActive()) {
                b.put(StoreFormat.OP_QUARANTINE).putInt(c.arena()).putLong(c.quarantine().delayMillis())
                        .putLong(c.quarantine().frees());
            }
        } else if (op instanceof Op.Drop d) {
            b.put(StoreFormat.OP_DROP).putInt(d.arena());
        } else if (op instanceof Op.Mark m) {
            b.put(StoreFormat.OP_MARK).putInt(m.arena()).putLong(m.mark());
        } else {
            Op.Change c = (Op.Change) op;
            ArenaChange change = c.change();
            if (change instanceof ArenaChange.SpanAdded s) {
                b.put(StoreFormat.OP_SPAN).putInt(c.arena()).putLong(s.base()).putLong(s.size())
                        .put((byte) (s.imported() ? 1 : 0));
            } else if (change instanceof ArenaChange.SpanRemoved s) {
                b.put(StoreFormat.OP_UNSPAN).putInt(c.arena()).putLong(s.base()).putLong(s.size());
            } else if (change instanceof ArenaChange.Allocated a) {
                b.put(StoreFormat.OP_ALLOC).putInt(c.arena()).putLong(a.base()).putLong(a.size());
            } else if (change instanceof ArenaChange.Freed f) {
                b.put(StoreFormat.OP_FREE).putInt(c.arena()).putLong(f.base()).putLong(f.size());
            } else {
                ArenaChange.CursorMoved m = (ArenaChange.CursorMoved) change;
                b.put(StoreFormat.OP_CURSOR).putInt(c.arena()).putLong(m.from()).putLong(m.to());
            }
        }
    }

    /**
     * Decodes a payload whose checksum has been verified.
     *
     * @throws IllegalArgumentException if the payload is malformed (a bug or a forged checksum)
     */
    static List<Op> decode(byte[] payload) {
        ByteBuffer b = ByteBuffer.wrap(payload);
        try {
            int count = b.getInt();
            if (count < 0 || count > payload.length) {
                throw new IllegalArgumentException("unit claims " + count + " operations");
            }
            List<Op> ops = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                if (b.get(b.position()) == StoreFormat.OP_QUARANTINE) {
                    ops.add(completed(ops, b));
                } else {
                    ops.add(get(b));
                }
            }
            if (b.hasRemaining()) {
                throw new IllegalArgumentException(b.remaining() + " bytes after the last operation");
            }
            return ops;
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("unit ends inside an operation", e);
        }
    }

    /** Reads a QUARANTINE operation: it completes the CREATE just before it, which it takes off {@code ops}. */
    private static Op.Create completed(List<Op> ops, ByteBuffer b) {
        b.get();
        int arena = b.getInt();
        Quarantine rule = rule(b.getLong(), b.getLong());
        Op before = ops.isEmpty() ? null : ops.remove(ops.size() - 1);
        if (!(before instanceof Op.Create c && c.arena() == arena && !c.quarantine().isActive())) {
            throw new IllegalArgumentException("QUARANTINE of arena " + arena + " does not follow that arena's CREATE");
        }
        return c.withQuarantine(rule);
    }

    /** The quarantine a QUARANTINE operation or a checkpoint records, active, or an IllegalArgumentException. */
    static Quarantine rule(long delayMillis, long frees) {
        if (delayMillis < 0 || frees < 0 || (delayMillis == 0 && frees == 0)) {
            throw new IllegalArgumentException("quarantine delayMillis=" + delayMillis + " frees=" + frees
                    + ": both must be non-negative, and one positive");
        }
        return new Quarantine(Duration.ofMillis(delayMillis), frees); // checks the bounds
    }

    private static Op get(ByteBuffer b) {
        byte type = b.get();
        int arena = b.getInt();
        switch (type) {
            case StoreFormat.OP_CREATE: {
                long quantum = b.getLong();
                long importQuantum = b.getLong();
                long qcacheMax = b.getLong();
                int source = b.getInt();
                int len = b.getShort() & 0xFFFF;
                byte[] name = new byte[len];
                b.get(name);
                return new Op.Create(arena, new String(name, StandardCharsets.UTF_8), quantum, importQuantum,
                        qcacheMax, source);
            }
            case StoreFormat.OP_DROP:
                return new Op.Drop(arena);
            case StoreFormat.OP_SPAN: {
                long base = b.getLong();
                long size = b.getLong();
                byte imported = b.get();
                if (imported != 0 && imported != 1) {
                    throw new IllegalArgumentException("span flag " + imported);
                }
                return new Op.Change(arena, new ArenaChange.SpanAdded(base, size, imported == 1));
            }
            case StoreFormat.OP_UNSPAN:
                return new Op.Change(arena, new ArenaChange.SpanRemoved(b.getLong(), b.getLong()));
            case StoreFormat.OP_ALLOC:
                return new Op.Change(arena, new ArenaChange.Allocated(b.getLong(), b.getLong()));
            case StoreFormat.OP_FREE:
                return new Op.Change(arena, new ArenaChange.Freed(b.getLong(), b.getLong()));
            case StoreFormat.OP_CURSOR:
                return new Op.Change(arena, new ArenaChange.CursorMoved(b.getLong(), b.getLong()));
            case StoreFormat.OP_MARK:
                return new Op.Mark(arena, b.getLong());
            default:
                throw new IllegalArgumentException("unknown operation type " + type);
        }
    }
}
