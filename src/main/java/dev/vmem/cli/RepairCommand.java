package dev.vmem.cli;

import dev.vmem.store.StoreRepair;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "repair", description = "For a store that refuses to open: show what is damaged and what accepting "
        + "the loss would drop (exit 1), or, with --accept-loss, drop it and keep the damaged files aside (exit 0). "
        + "A sound store is left alone (exit 0).")
final class RepairCommand implements Callable<Integer> {
    @ParentCommand
    VmemCommand root;

    @Option(names = "--accept-loss", description = "Rewrite the store without what the damage made unreadable.")
    boolean acceptLoss;

    @Override
    public Integer call() {
        root.refuseReadOnly("repair"); // even a diagnosis finishes an interrupted repair
        StoreRepair.Diagnosis d = acceptLoss ? StoreRepair.repair(root.storeDirectory())
                : StoreRepair.diagnose(root.storeDirectory());
        PrintWriter out = root.out();
        if (d.sound()) {
            out.println("store " + d.directory() + " opens: nothing to repair");
            return ExitCode.OK.code;
        }
        out.println("store " + d.directory() + " refuses to open:");
        for (String p : d.problems()) {
            out.println("  " + p);
        }
        out.println((acceptLoss ? "dropped" : "accepting the loss drops") + ": every journal record after sequence "
                + d.keptThroughSeq() + ": " + d.droppedRecords() + " whole record(s) found (" + d.droppedOperations()
                + " operations, " + d.droppedAllocations() + " allocations), " + d.unknownRecords()
                + " record(s) gone without a trace");
        for (StoreRepair.RotorJump j : d.rotorJumps()) {
            out.println("  NEXT_FIT rotor of '" + j.arena() + "' " + (acceptLoss ? "moved" : "moves") + " from "
                    + j.from() + " to " + j.to() + ", past every value the dropped records handed out");
        }
        if (!acceptLoss) {
            out.println("nothing was changed; run 'vmem repair --accept-loss' to accept this loss");
            return ExitCode.FAILURE.code;
        }
        out.println("repaired: the store opens; the replaced files are kept in " + d.directory() + "/damaged-*");
        return ExitCode.OK.code;
    }
}
