package dev.fluvia.backend.dense;

import dev.fluvia.backend.Activation;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/**
 * {@link DenseOps#mlpForward} as the chain of per-layer products ({@link DenseOps#linearForward}, or
 * {@link DenseOps#prefixLinearForward} where the layer has extents), the last layer with the identity: what CUDA runs, and
 * what the CPU runs when its row-block path does not apply. Arguments already checked.
 */
final class MlpChain {
    private MlpChain() {}

    /**
     * @param temporary an intermediate {@code [N, width]} for a width (contents undefined)
     * @param release   gives an intermediate back once the next layer's product is queued
     */
    static void run(DenseOps ops, Tensor x, List<Tensor> weights, List<Tensor> biases, List<Index> extents, Activation act,
                    Tensor y, IntFunction<Tensor> temporary, Consumer<Tensor> release) {
        int layers = weights.size();
        Tensor cur = x;
        for (int i = 0; i < layers; i++) {
            boolean last = i + 1 == layers;
            Tensor out = last ? y : temporary.apply(weights.get(i).dim(0));
            Activation a = last ? Activation.IDENTITY : act;
            Index e = extents == null ? null : extents.get(i);
            if (e == null) ops.linearForward(cur, weights.get(i), biases.get(i), a, null, out);
            else ops.prefixLinearForward(cur, weights.get(i), e, biases.get(i), a, null, out);
            if (cur != x) release.accept(cur);
            cur = out;
        }
    }
}
