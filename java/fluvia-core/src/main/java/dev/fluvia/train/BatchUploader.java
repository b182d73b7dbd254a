package dev.fluvia.train;

import dev.fluvia.backend.Backend;
import dev.fluvia.tensor.Tensor;

/**
 * Turns host batches into device tensors. Split in two halves so that a device backend can overlap the copy with compute:
 * {@link #stage} runs on the loader thread as soon as a batch is assembled (a CUDA uploader copies the rows into a pinned
 * buffer there and may start an asynchronous host→device copy on a copy stream), {@link #upload} runs on the training thread
 * inside the step's allocation scope and returns the tensor the step uses (waiting for that copy), and {@link #recycle}
 * gives the staging resources back once the step is done with the batch.
 *
 * <p>The CPU implementation ({@link #host(Backend)}) stages nothing and uploads with {@code be.fromHost}.
 */
public interface BatchUploader extends AutoCloseable {

    /**
     * Called on the loader thread; returns the batch, possibly with {@link HostBatch#staged()} set. Must not use allocation scopes.
     *
     * @param batch the assembled batch
     * @return the batch to queue for the training thread (the default: {@code batch} itself)
     */
    default HostBatch stage(HostBatch batch) { return batch; }

    /**
     * Called on the training thread inside an open scope: a tensor of the given shape holding the batch's rows.
     *
     * @param batch the batch {@link #stage} returned
     * @param shape the tensor's shape, {@code [n, ...eventShape]}
     * @return a tensor of the step's backend holding {@code batch.rows()}
     */
    Tensor upload(HostBatch batch, int[] shape);

    /**
     * Called on the training thread when the step that used the batch has finished.
     *
     * @param batch the batch whose staging resources may be reused
     */
    default void recycle(HostBatch batch) {}

    /** Frees staging resources. */
    @Override default void close() {}

    /**
     * Plain synchronous upload through {@link Backend#fromHost} (the CPU path).
     *
     * @param be the backend to upload to
     * @return an uploader that stages nothing
     */
    static BatchUploader host(Backend be) {
        return (batch, shape) -> be.fromHost(batch.rows(), shape);
    }
}
