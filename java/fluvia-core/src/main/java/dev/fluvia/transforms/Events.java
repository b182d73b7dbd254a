package dev.fluvia.transforms;

import dev.fluvia.FluviaException.ShapeException;
import dev.fluvia.tensor.Tensor;
import java.util.Arrays;

/** Input shape checks shared by layers: a batch {@code [N, event...]} of the layer's event shape. */
public final class Events {
    private Events() {}

    /** Throws a {@link ShapeException} naming the layer, the direction and both shapes unless t is {@code [N, event...]}. */
    public static void check(String kind, String op, Tensor t, int[] event) {
        int[] s = t.shape();
        if (s.length != event.length + 1 || !Arrays.equals(Arrays.copyOfRange(s, 1, s.length), event))
            throw new ShapeException(kind + "." + op + ": expected a batch of samples of shape " + Arrays.toString(event)
                    + " but got " + t.shapeString());
    }

    /** The event shape of a config's "shape" array, checked to be [D] or [C, H, W] with positive extents. */
    static int[] eventShape(String kind, int[] shape) {
        if (shape.length != 1 && shape.length != 3)
            throw new ShapeException(kind + ": event shape must be [D] or [C, H, W], got " + Arrays.toString(shape));
        for (int v : shape) if (v < 1) throw new ShapeException(kind + ": event shape must have positive extents, got " + Arrays.toString(shape));
        return shape.clone();
    }
}
