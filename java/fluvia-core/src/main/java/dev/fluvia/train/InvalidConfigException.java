package dev.fluvia.train;

import dev.fluvia.FluviaException;

/** A training option out of its valid range (learning rate ≤ 0, β outside [0, 1), batch size 0, ...); the message names the option and the value. */
public final class InvalidConfigException extends FluviaException {
    /**
     * An invalid option.
     *
     * @param message names the option, the value given and the valid range
     */
    public InvalidConfigException(String message) { super(message); }
}
