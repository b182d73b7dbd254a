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

    protected Tensor(int[] shape) {
        this.shape = shape.clone();
        long n = 1;
        for (int s : shape) {
            if (s < 0) throw new ShapeException("negative extent in shape " + Arrays.toString(shape));
            n *= s;
        }
        this.numel = n;
    }

    public final int[] shape() { return shape.clone(); }
    public final int rank() { return shape.length; }
    public final int dim(int i) { return shape[i < 0 ? shape.length + i : i]; }
    public final long numel() { return numel; }
    /** Rows = first extent (the batch). */
    public final int rows() { return shape[0]; }
    /** Elements per row = product of all extents after the first. */
    public final int rowSize() { return shape.length == 0 ? 1 : (int) (numel / Math.max(1, shape[0])); }

    public final String shapeString() { return Arrays.toString(shape); }

    @Override public String toString() { return getClass().getSimpleName() + shapeString(); }
}
