package dev.fluvia.transforms.image;

import dev.fluvia.FluviaException.ShapeException;
import dev.fluvia.FluviaException.UnknownNameException;
import dev.fluvia.backend.Backend;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;
import java.util.Arrays;

/**
 * The split of an image coupling (affine or additive) into conditioning positions {@code a} and transformed positions
 * {@code b} of the flattened image {@code [N, C·H·W]}, and the moves between the image layout the convolutional
 * conditioner works in and the flat layout the vector coupling ops work in.
 * <ul>
 *   <li>{@code "channel"}: with s = ⌊C/2⌋, parity 0 conditions on channels [0, s) and transforms [s, C); parity 1 the
 *       other way round. The conditioner sees the conditioning channels and outputs {@code fields·|b channels|} channels.</li>
 *   <li>{@code "checkerboard"}: parity p conditions on the pixels with (h + w) mod 2 = p (all channels) and transforms the
 *       others. The conditioner sees {@code x ⊙ mask} as a full image and outputs {@code fields·C} channels, of which
 *       the transformed positions are gathered.</li>
 * </ul>
 * {@code fields} is the number of per-position outputs of the conditioner: 2 for affine (raw scale, then shift), 1 for additive.
 *
 * <p>With a context of {@code K ≥ 1} entries (the conditional couplings, on rows {@code [x | c]} of {@code D + K} values)
 * the conditioner's input gets {@code K} more channels after the conditioning ones: channel {@code condChannels + j} is
 * the constant plane {@code c_j} ({@link #condInputRows}), gathered from the row by an index that repeats the context
 * column over the {@code H·W} positions; its backward sums each plane's gradient back into {@code ∂L/∂c_j}.
 */
final class ImageCouplingMask {
    static final String CHANNEL = "channel", CHECKERBOARD = "checkerboard";

    private final Backend be;
    final int[] shape;
    final int c, h, w, d;
    final String mask;
    final int parity;
    final int fields;
    final int[] aPos, bPos;
    final Index aIdx, bIdx;
    /** b positions in each of the {@code fields} stacked output images (checkerboard only). */
    private final Index outIdx;
    final int condChannels, outChannels;
    /** Entries of the context (0: an unconditional coupling on images {@code [N, C, H, W]}). */
    final int context;
    /** Row column of every entry of the context planes {@code [K, H, W]} (null without a context). */
    private final Index planeIdx;

    ImageCouplingMask(Backend be, String kind, int[] shape, String mask, int parity, int fields) {
        this(be, kind, shape, mask, parity, fields, 0);
    }

    ImageCouplingMask(Backend be, String kind, int[] shape, String mask, int parity, int fields, int context) {
        this.be = be;
        this.shape = ImageEvents.image(kind, shape);
        this.c = shape[0];
        this.h = shape[1];
        this.w = shape[2];
        this.d = c * h * w;
        if (parity != 0 && parity != 1) throw new IllegalArgumentException(kind + ": parity must be 0 or 1, got " + parity);
        this.mask = mask;
        this.parity = parity;
        this.fields = fields;
        int hw = h * w;
        switch (mask) {
            case CHANNEL -> {
                if (c < 2) throw new ShapeException(kind + ": the channel mask needs at least 2 channels, got shape " + Arrays.toString(shape));
                int s = c / 2;
                int aLo = parity == 0 ? 0 : s, aHi = parity == 0 ? s : c, bLo = parity == 0 ? s : 0, bHi = parity == 0 ? c : s;
                aPos = range(aLo * hw, aHi * hw);
                bPos = range(bLo * hw, bHi * hw);
                condChannels = aHi - aLo;
                outChannels = fields * (bHi - bLo);
            }
            case CHECKERBOARD -> {
                if (hw < 2) throw new ShapeException(kind + ": the checkerboard mask needs at least 2 pixels, got shape " + Arrays.toString(shape));
                int na = 0;
                for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) if ((y + x) % 2 == parity) na++;
                aPos = new int[na * c];
                bPos = new int[(hw - na) * c];
                int ia = 0, ib = 0;
                for (int ch = 0; ch < c; ch++)
                    for (int y = 0; y < h; y++)
                        for (int x = 0; x < w; x++) {
                            int p = (ch * h + y) * w + x;
                            if ((y + x) % 2 == parity) aPos[ia++] = p; else bPos[ib++] = p;
                        }
                condChannels = c;
                outChannels = fields * c;
            }
            default -> throw new UnknownNameException(kind + ": unknown mask '" + mask + "' (known: channel, checkerboard)");
        }
        this.aIdx = be.index(aPos);
        this.bIdx = be.index(bPos);
        if (mask.equals(CHECKERBOARD)) {
            int k = bPos.length;
            int[] op = new int[fields * k];
            for (int f = 0; f < fields; f++) for (int j = 0; j < k; j++) op[f * k + j] = f * d + bPos[j];
            this.outIdx = be.index(op);
        } else this.outIdx = null;
        if (context < 0) throw new ShapeException(kind + ": the context cannot have " + context + " entries");
        this.context = context;
        if (context > 0) {
            int[] pi = new int[context * hw];
            for (int j = 0; j < context; j++) Arrays.fill(pi, j * hw, (j + 1) * hw, d + j);
            this.planeIdx = be.index(pi);
        } else this.planeIdx = null;
    }

    private static int[] range(int lo, int hi) {
        int[] r = new int[hi - lo];
        for (int i = 0; i < r.length; i++) r[i] = lo + i;
        return r;
    }

    /** t viewed as {@code [N, C·H·W]}. */
    Tensor flat(Tensor t) { return be.view(t, t.dim(0), d); }

    /** The conditioner's input: the conditioning channels (channel mask) or x ⊙ mask as a full image (checkerboard). */
    Tensor condInput(Tensor x) { return condInputFlat(flat(x)); }

    /** {@link #condInput} from x flattened {@code [N, ≥ D]} (an image, or rows {@code [x | c]}: the a positions are all {@code < D}). */
    private Tensor condInputFlat(Tensor x) {
        int n = x.dim(0);
        Tensor xa = be.alloc(n, aPos.length);
        be.coupling().gather(x, aIdx, xa);
        if (mask.equals(CHANNEL)) return be.view(xa, n, condChannels, h, w);
        Tensor full = be.alloc(n, c, h, w);
        be.coupling().scatterAdd(xa, aIdx, flat(full));
        be.release(xa);
        return full;
    }

    /** The coupling input {@code [N, fields·K]} (field by field, the b positions in order) from the conditioner's output image. */
    Tensor gatherOut(Tensor out) {
        int n = out.dim(0), k = fields * bPos.length;
        if (mask.equals(CHANNEL)) return be.view(out, n, k);
        Tensor g = be.alloc(n, k);
        be.coupling().gather(be.view(out, n, fields * d), outIdx, g);
        return g;
    }

    /** The backward of {@link #gatherOut}: ∂L/∂(conditioner output image) from ∂L/∂(coupling input). */
    Tensor scatterOutGrad(Tensor g) {
        int n = g.dim(0);
        if (mask.equals(CHANNEL)) return be.view(g, n, outChannels, h, w);
        Tensor img = be.alloc(n, outChannels, h, w);
        be.coupling().scatterAdd(g, outIdx, be.view(img, n, fields * d));
        return img;
    }

    /** gx += the conditioner's input gradient at the conditioning positions (only those of x ⊙ mask depend on x). */
    void addCondGrad(Tensor gCond, Tensor gx) { addCondGradFlat(gCond, flat(gx)); }

    private void addCondGradFlat(Tensor gCond, Tensor gx) {
        Tensor ga = be.alloc(gx.dim(0), aPos.length);
        if (mask.equals(CHANNEL)) be.copy(gCond, ga);
        else be.coupling().gather(flat(gCond), aIdx, ga);
        be.coupling().scatterAdd(ga, aIdx, gx);
    }

    /**
     * The conditioner's input for rows {@code [x | c]} {@code [N, D + K]}: {@code [N, condChannels + K, H, W]}, the
     * conditioning channels of x ({@link #condInput}) followed by the K constant planes {@code c_j}.
     */
    Tensor condInputRows(Tensor rows) {
        int n = rows.dim(0), hw = h * w;
        Tensor cx = condInputFlat(rows);
        Tensor planes = be.alloc(n, context * hw);
        be.coupling().gather(rows, planeIdx, planes);
        Tensor in = be.alloc(n, condChannels + context, h, w);
        be.image().placeChannels(cx, 0, in);
        be.image().placeChannels(be.view(planes, n, context, h, w), condChannels, in);
        return in;
    }

    /** The backward of {@link #condInputRows}: gRows += ∂L/∂(x at the a positions) and ∂L/∂c_j = Σ over plane j. */
    void addCondGradRows(Tensor gCond, Tensor gRows) {
        int n = gRows.dim(0), hw = h * w;
        Tensor gx = be.alloc(n, condChannels, h, w), gp = be.alloc(n, context, h, w);
        be.image().sliceChannels(gCond, 0, gx);
        be.image().sliceChannels(gCond, condChannels, gp);
        addCondGradFlat(gx, gRows);
        be.coupling().scatterAdd(be.view(gp, n, context * hw), planeIdx, gRows);  // repeated targets: summed per row
    }
}
