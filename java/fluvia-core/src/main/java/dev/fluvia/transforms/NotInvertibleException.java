package dev.fluvia.transforms;

import dev.fluvia.FluviaException;

/**
 * A layer defined only in the generative direction (z → x, e.g. Sylvester) was asked for its normalizing direction
 * (x → z): the density of given data, or maximum-likelihood training on data. Such flows are fitted by reverse KL
 * ({@code fluvia fit-target}) and used for sampling.
 */
public final class NotInvertibleException extends FluviaException {
    public NotInvertibleException(String message) { super(message); }
}
