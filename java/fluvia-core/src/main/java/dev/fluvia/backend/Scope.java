package dev.fluvia.backend;

import dev.fluvia.tensor.Tensor;

/** An allocation scope: tensors allocated on this thread while it is open go back to the backend's pool when it closes. */
public interface Scope extends AutoCloseable {
    /** Moves t out of this scope into the enclosing one (or out of pooling when there is none), so it outlives this scope. */
    Tensor keep(Tensor t);

    @Override void close();
}
