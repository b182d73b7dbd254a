package dev.fluvia.tensor;

import dev.fluvia.FluviaException.ShapeException;
import java.util.Arrays;

/**
 * A dense float32 tensor, row-major, owned by one backend. Shapes are {@code [N, D]} for vectors and
 * {@code [N, C, H, W]} for images (NCHW); a 1-D tensor {@code [K]} holds parameters and per-sample values.
 * The data lives where the backend keeps it (off-heap host memory for the CPU backend, device memory for CUDA);
 * move it with {@code Backend.toHost} / {@code Backend.fromHost}.
 */
public abstract class Tensor {
    private final int[] shape;
    private final long numel;

    /**
     * Records the shape; called by a backend's subclass, which owns the storage.
     *
     * @param shape the extents, outermost first (copied)
     * @throws dev.fluvia.FluviaException.ShapeException when an extent is negative
     */
    protected Tensor(int[] shape) {
        this.shape = shape.clone();
        long n = 1;
        for (int s : shape) {
            if (s < 0) throw new ShapeException("negative extent in shape " + Arrays.toString(shape));
            n *= s;
        }
        this.numel = n;
    }

    /**
     * The extents.
     *
     * @return a fresh copy of the shape, outermost first
     */
    public final int[] shape() { return shape.clone(); }
    /**
     * The number of extents.
     *
     * @return 2 for {@code [N, D]}, 4 for {@code [N, C, H, W]}, 1 for {@code [K]}
     */
    public final int rank() { return shape.length; }
    /**
     * One extent.
     *
     * @param i the axis, 0 outermost; a negative {@code i} counts from the end ({@code -1}: the last axis)
     * @return the extent along axis {@code i}
     * @throws ArrayIndexOutOfBoundsException when {@code i} is not in {@code [-rank, rank)}
     */
    public final int dim(int i) { return shape[i < 0 ? shape.length + i : i]; }
    /**
     * The element count.
     *
     * @return the product of the extents (1 for a rank-0 tensor)
     */
    public final long numel() { return numel; }
    /**
     * Rows = first extent (the batch).
     *
     * @return {@code dim(0)}
     * @throws ArrayIndexOutOfBoundsException for a rank-0 tensor
     */
    public final int rows() { return shape[0]; }
    /**
     * Elements per row = product of all extents after the first.
     *
     * @return {@code D} for {@code [N, D]}, {@code C·H·W} for {@code [N, C, H, W]}, 1 for a rank-0 tensor
     */
    public final int rowSize() { return shape.length == 0 ? 1 : (int) (numel / Math.max(1, shape[0])); }

    /**
     * The shape for messages.
     *
     * @return the extents as {@code [a, b, ...]}
     */
    public final String shapeString() { return Arrays.toString(shape); }

    @Override public String toString() { return getClass().getSimpleName() + shapeString(); }
}
