package dev.fluvia.io;

import dev.fluvia.FluviaException.ShapeException;
import java.util.Arrays;

/**
 * A float32 array in host memory with its shape (row-major); a shape of {@code []} is a scalar of one element.
 *
 * @param shape the extents, outermost first (copied)
 * @param data  the values, row-major; not copied
 */
public record HostArray(int[] shape, float[] data) {
    /**
     * Checks that the data fits the shape.
     *
     * @param shape the extents, outermost first (copied)
     * @param data  the values, row-major; not copied
     * @throws ShapeException when {@code data} is null, an extent is negative or the length is not the product of the shape
     */
    public HostArray {
        long n = numel(shape);
        if (data == null || n != data.length)
            throw new ShapeException("HostArray: shape " + Arrays.toString(shape) + " holds " + n + " values but data has "
                    + (data == null ? "none" : data.length));
        shape = shape.clone();
    }

    /**
     * A 1-D array {@code [data.length]}.
     *
     * @param data the values (not copied)
     * @return the array with shape {@code [data.length]}
     */
    public static HostArray vector(float[] data) { return new HostArray(new int[] {data.length}, data); }

    /**
     * The element count of a shape.
     *
     * @param shape the extents
     * @return their product (1 for {@code []})
     * @throws ShapeException when an extent is negative
     */
    public static long numel(int[] shape) {
        long n = 1;
        for (int s : shape) {
            if (s < 0) throw new ShapeException("negative extent in shape " + Arrays.toString(shape));
            n *= s;
        }
        return n;
    }

    /** {@return a copy of the extents, outermost first} */
    @Override public int[] shape() { return shape.clone(); }

    @Override public boolean equals(Object o) {
        return o instanceof HostArray h && Arrays.equals(shape, h.shape) && Arrays.equals(data, h.data);
    }

    @Override public int hashCode() { return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data); }

    @Override public String toString() { return "HostArray" + Arrays.toString(shape); }
}
