package dev.fluvia.backend;

import dev.fluvia.tensor.Tensor;

/** An allocation scope: tensors allocated on this thread while it is open go back to the backend's pool when it closes. */
public interface Scope extends AutoCloseable {
    /**
     * Moves t out of this scope into the enclosing one (or out of pooling when there is none), so it outlives this scope.
     *
     * @param t a tensor allocated in this scope
     * @return {@code t}, for chaining
     */
    Tensor keep(Tensor t);

    /**
     * Returns the tensors allocated in this scope (and not kept) to the backend's pool; they must not be used afterwards.
     * A second close does nothing.
     *
     * @throws IllegalStateException when a scope opened later on this thread is still open (close in reverse order)
     */
    @Override void close();
}
