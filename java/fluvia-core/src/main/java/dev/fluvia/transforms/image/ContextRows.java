package dev.fluvia.transforms.image;

import dev.fluvia.FluviaException.ShapeException;
import dev.fluvia.backend.Backend;
import dev.fluvia.tensor.Tensor;
import java.util.Arrays;

/**
 * The row layout of a conditional image flow (docs/FLOWS.md "Conditional flows in Fluvia"): every sample is one row
 * {@code [x | c]} of {@code D + K} floats, the flattened image {@code x} ({@code D = C·H·W}, channel-major as everywhere)
 * followed by the context {@code c} ({@code K} floats). The moves between rows and their parts run on the image family's
 * channel ops over the rows viewed as {@code [N, D + K, 1, 1]}.
 */
final class ContextRows {
    private final Backend be;
    final String kind;
    final int[] shape;
    final int d, k;

    ContextRows(Backend be, String kind, int[] shape, int context) {
        this.be = be;
        this.kind = kind;
        if (shape.length < 1) throw new ShapeException(kind + ": empty event shape");
        for (int v : shape) if (v < 1) throw new ShapeException(kind + ": event shape must have positive extents, got " + Arrays.toString(shape));
        if (context < 1) throw new ShapeException(kind + ": the context needs at least 1 entry, got " + context);
        this.shape = shape.clone();
        this.d = ImageEvents.numel(shape);
        this.k = context;
    }

    /** The row event shape {@code [D + K]}. */
    int[] rowShape() { return new int[] {d + k}; }

    /** Throws a {@link ShapeException} naming the layer, the direction and both widths unless t is {@code [N, D + K]}. */
    void check(String op, Tensor t) {
        int[] s = t.shape();
        if (s.length != 2 || s[1] != d + k)
            throw new ShapeException(kind + "." + op + ": expected rows [x | c] of " + d + " + " + k + " = " + (d + k)
                    + " values (x of shape " + Arrays.toString(shape) + ", a context of " + k + ") but got " + t.shapeString()
                    + (s.length == 2 && s[1] > d ? " (a context of " + (s[1] - d) + "?)" : ""));
    }

    private Tensor asChannels(Tensor rows) { return be.view(rows, rows.dim(0), rows.dim(1), 1, 1); }

    /** The x part of rows, shaped {@code [N, shape...]}. */
    Tensor x(Tensor rows) {
        int n = rows.dim(0);
        Tensor t = be.alloc(n, d, 1, 1);
        be.image().sliceChannels(asChannels(rows), 0, t);
        return be.view(t, ImageEvents.batch(n, shape));
    }

    /** The context part of rows, {@code [N, K]}. */
    Tensor c(Tensor rows) {
        int n = rows.dim(0);
        Tensor t = be.alloc(n, k, 1, 1);
        be.image().sliceChannels(asChannels(rows), d, t);
        return be.view(t, n, k);
    }

    /** Rows {@code [x | c]} of width {@code x's size + K} from x (any shape {@code [N, ...]}) and c {@code [N, K]}. */
    Tensor join(Tensor x, Tensor c) {
        int n = x.dim(0), dx = (int) (x.numel() / Math.max(n, 1));
        if (n == 0) return be.alloc(0, dx + k);
        Tensor out = be.alloc(n, dx + k);
        Tensor oc = be.view(out, n, dx + k, 1, 1);
        be.image().placeChannels(be.view(x, n, dx, 1, 1), 0, oc);
        be.image().placeChannels(be.view(c, n, k, 1, 1), dx, oc);
        return out;
    }
}
