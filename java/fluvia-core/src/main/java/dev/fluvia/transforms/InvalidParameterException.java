package dev.fluvia.transforms;

import dev.fluvia.FluviaException;

/**
 * A layer parameter or fixed statistic with a value the layer cannot work with (a standard deviation ≤ 0 or not finite,
 * a singular weight matrix); the message names the layer, the parameter and the value.
 */
public final class InvalidParameterException extends FluviaException {
    public InvalidParameterException(String message) { super(message); }
}
