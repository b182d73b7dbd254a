package dev.fluvia.train;

/**
 * The outcome of {@link Trainer#train()}.
 *
 * @param losses        mean NLL (nats) of every step of the run so far (resumed runs include the earlier steps); NaN = skipped
 * @param valNlls       validation NLL (nats) after each epoch
 * @param bestValNll    the lowest validation NLL (+∞ without validation)
 * @param bestStep      the step at which it was reached (−1 without validation)
 * @param wallSeconds   wall time of this call
 * @param samplesPerSec training rows per second in this call
 * @param stopReason    why training stopped before its step budget (early stopping, {@link TrainConfig#patience()}), or null
 */
public record TrainResult(double[] losses, double[] valNlls, double bestValNll, long bestStep, double wallSeconds, double samplesPerSec,
                          String stopReason) {
    /**
     * A result of a run that ran its whole step budget (no stop reason).
     *
     * @param losses        mean NLL (nats) of every step; NaN = skipped
     * @param valNlls       validation NLL (nats) after each epoch
     * @param bestValNll    the lowest validation NLL (+∞ without validation)
     * @param bestStep      the step at which it was reached (−1 without validation)
     * @param wallSeconds   wall time of this call
     * @param samplesPerSec training rows per second in this call
     */
    public TrainResult(double[] losses, double[] valNlls, double bestValNll, long bestStep, double wallSeconds, double samplesPerSec) {
        this(losses, valNlls, bestValNll, bestStep, wallSeconds, samplesPerSec, null);
    }

    /** {@return the last step's loss in nats (NaN if none)} */
    public double finalLoss() { return losses.length == 0 ? Double.NaN : losses[losses.length - 1]; }
}
