package dev.fluvia.train;

import dev.fluvia.flow.Flow;

/**
 * Where periodic checkpoints go (the CLI writes a safetensors file). Called on the training thread between steps, with the
 * flow's parameters and the state as of the end of the step; {@code state}'s optimizer field is freshly exported.
 */
@FunctionalInterface
public interface CheckpointSink {
    /**
     * Saves one periodic checkpoint.
     *
     * @param flow  the flow being trained (its parameters as of the end of the step)
     * @param state the training state to store alongside (step, losses, optimizer state, ...)
     */
    void save(Flow flow, TrainState state);
}
