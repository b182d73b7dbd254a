package dev.fluvia.backend.cpu;

import dev.fluvia.backend.Activation;
import dev.fluvia.backend.OpChecks;
import dev.fluvia.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * The CPU reference of the image ops of {@link dev.fluvia.backend.Backend} (NCHW float32): views, convolution (direct
 * kernels, {@link DirectConv}), squeeze, channel slicing, the conditional Gaussian prior and the logit pre-processing.
 */
final class ImageOps {
    private static final double LOG_2PI = Math.log(2 * Math.PI);

    private final CpuBackend be;

    ImageOps(CpuBackend be) { this.be = be; }

    private static float get(MemorySegment s, long i) { return s.getAtIndex(HostTensor.F, i); }
    private static void set(MemorySegment s, long i, float v) { s.setAtIndex(HostTensor.F, i, v); }
    private static MemorySegment seg(Tensor t) { return CpuBackend.h(t).seg; }

    // ------------------------------------------------------------------ view, activation

    Tensor view(Tensor t, int... shape) {
        OpChecks.view(t, shape);
        return new HostTensor(seg(t), shape);
    }

    // ------------------------------------------------------------------ convolution

    // ------------------------------------------------------------------ squeeze and channels

    // ------------------------------------------------------------------ conditional Gaussian

    // ------------------------------------------------------------------ logit pre-processing

}
