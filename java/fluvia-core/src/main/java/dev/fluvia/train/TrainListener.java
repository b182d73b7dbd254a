package dev.fluvia.train;

/** Progress callbacks of a {@link Trainer}, called on the training thread. All methods default to doing nothing. */
public interface TrainListener {
    /** After every step (1-based {@code step}); {@code loss} is NaN for a skipped non-finite step. */
    default void onStep(long step, double loss, double lr, double samplesPerSec) {}

    /** After every epoch's validation (0-based {@code epoch}); {@code valNll} is NaN without validation data. */
    default void onEpoch(int epoch, double valNll) {}

    /** A skipped step, a rollback, or anything else the user should see. */
    default void onWarning(String message) {}
}
