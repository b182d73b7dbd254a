package dev.fluvia.transforms;

import dev.fluvia.FluviaException;

/** An input outside the domain of a layer that is only defined on part of ℝ (logit on (0, 1), atanh on (−1, 1), ...). */
public final class DomainException extends FluviaException {
    public DomainException(String message) { super(message); }
}
