package dev.fluvia.backend.cpu;

import dev.fluvia.tensor.Index;

/** An index list on the host. */
final class HostIndex extends Index {
    HostIndex(int[] v) { super(v); }
}
