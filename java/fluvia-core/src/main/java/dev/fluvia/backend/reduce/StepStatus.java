package dev.fluvia.backend.reduce;

/**
 * A training step's status, kept where the backend computes ({@link ReduceOps#stepStatus()}): {@value #SLOTS} float64
 * slots that the step's ops write and read on the device, so the trainer reads the step back ONCE, after it is complete.
 *
 * <ul>
 *   <li>{@link #LR}, {@link #T}: the learning rate and the optimizer step number (≥ 1) of the update, written by the host
 *       ({@link #begin}) before the step;</li>
 *   <li>{@link #LOSS}: the objective's loss ({@link ReduceOps#sumInto});</li>
 *   <li>{@link #BAD}, {@link #SQ}: 0 when every gradient is finite (&gt; 0 otherwise) and Σ g² ({@link ReduceOps#gradStatusInto});</li>
 *   <li>{@link #SCALE}, {@link #SKIP}: the clip factor (float32 value) the update multiplies the gradients by and 1 when the
 *       update must be skipped (non-finite loss or gradient), 0 otherwise ({@link ReduceOps#clipScale}).</li>
 * </ul>
 * The optim family's {@code adamStep}/{@code adamaxStep} read {@code LR, T, SCALE, SKIP} from here.
 */
public abstract class StepStatus implements AutoCloseable {
    public static final int LR = 0, T = 1, LOSS = 2, BAD = 3, SQ = 4, SCALE = 5, SKIP = 6, SLOTS = 8;

    /** Starts a step: every slot cleared, then {@code lr} and {@code t} set (host → device, no read back). */
    public abstract void begin(double lr, int t);

    /** Sets one slot from the host (e.g. a loss computed on the host by an objective without a device-side loss). */
    public abstract void set(int slot, double value);

    /** All {@value #SLOTS} slots on the host: the step's one device → host read. */
    public abstract double[] read();

    /** Gives the device memory back. */
    @Override public abstract void close();

    /** Host slots of a fresh step: zeros with {@code lr} and {@code t}. */
    protected static double[] fresh(double lr, int t) {
        double[] s = new double[SLOTS];
        s[LR] = lr;
        s[T] = t;
        return s;
    }
}
