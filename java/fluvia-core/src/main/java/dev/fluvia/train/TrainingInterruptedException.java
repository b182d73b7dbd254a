package dev.fluvia.train;

import dev.fluvia.FluviaException;

/** The training thread was interrupted while waiting for data; the interrupt flag is set again before this is thrown. */
public final class TrainingInterruptedException extends FluviaException {
    /**
     * An interrupted wait.
     *
     * @param message what the training thread was waiting for
     * @param cause   the {@link InterruptedException}
     */
    public TrainingInterruptedException(String message, Throwable cause) { super(message, cause); }
}
