package dev.fluvia.oracle;

/** Test access to the oracle's Simpson-integrated ∫_0^t φ (for checking the library's log Φ). */
public final class MixCdfOracleAccess {
    private MixCdfOracleAccess() {}

    public static double half(double t) { return MixCdfOracle.half(t, 20000); }
}
