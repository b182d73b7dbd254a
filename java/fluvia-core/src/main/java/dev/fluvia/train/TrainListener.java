package dev.fluvia.train;

/** Progress callbacks of a {@link Trainer}, called on the training thread. All methods default to doing nothing. */
public interface TrainListener {
    /**
     * After every step (1-based {@code step}); {@code loss} is NaN for a skipped non-finite step.
     *
     * @param step          the step just taken, from 1
     * @param loss          its training loss in nats (mean NLL for maximum likelihood), or NaN
     * @param lr            the learning rate it used
     * @param samplesPerSec training rows per second since this {@code train} call began
     */
    default void onStep(long step, double loss, double lr, double samplesPerSec) {}

    /**
     * After every epoch's validation (0-based {@code epoch}); {@code valNll} is NaN without validation data.
     *
     * @param epoch  the epoch just finished, from 0
     * @param valNll the mean validation NLL in nats, or NaN
     */
    default void onEpoch(int epoch, double valNll) {}

    /**
     * A skipped step, a rollback, or anything else the user should see.
     *
     * @param message one line for the user
     */
    default void onWarning(String message) {}
}
