package dev.fluvia.transforms.image;

import dev.fluvia.FluviaException.ShapeException;
import dev.fluvia.tensor.Tensor;
import dev.fluvia.transforms.Events;
import java.util.Arrays;

/** Shape checks of the image layers: event shapes {@code [C, H, W]} and batches {@code [N, C, H, W]}. */
final class ImageEvents {
    private ImageEvents() {}

    /** The event shape, checked to be {@code [C, H, W]} with positive extents. */
    static int[] image(String kind, int[] shape) {
        if (shape.length != 3) throw new ShapeException(kind + ": event shape must be [C, H, W], got " + Arrays.toString(shape));
        for (int v : shape) if (v < 1) throw new ShapeException(kind + ": event shape must have positive extents, got " + Arrays.toString(shape));
        return shape.clone();
    }

    /** Throws a {@link ShapeException} naming the layer and direction unless t is {@code [N, event...]}. */
    static void check(String kind, String op, Tensor t, int[] event) { Events.check(kind, op, t, event); }

    static int[] batch(int n, int[] event) {
        int[] s = new int[event.length + 1];
        s[0] = n;
        System.arraycopy(event, 0, s, 1, event.length);
        return s;
    }

    static int numel(int[] event) { int d = 1; for (int v : event) d *= v; return d; }
}
