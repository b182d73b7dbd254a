package dev.fluvia.train;

import dev.fluvia.flow.Flow;

/**
 * Where periodic checkpoints go (the CLI writes a safetensors file). Called on the training thread between steps, with the
 * flow's parameters and the state as of the end of the step; {@code state}'s optimizer field is freshly exported.
 */
@FunctionalInterface
public interface CheckpointSink {
    void save(Flow flow, TrainState state);
}
