package dev.fluvia.backend;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.FluviaException.ShapeException;
import dev.fluvia.backend.OpCheckCases.Case;
import dev.fluvia.backend.cpu.CpuBackend;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The argument checks of every {@link Backend} op, run on the CPU backend from the backend-independent table
 * {@link OpCheckCases}: each op once with arguments it must accept and once per distinct rejection of {@link OpChecks},
 * asserting a {@link ShapeException} whose message starts with the op name and names the offending argument.
 *
 * <p>The interface, method by method ("checked" = has an {@code OpChecks} method of the same name, and is in the table):
 * <ul>
 *   <li>No shape arguments, no checks: {@code name, threads, alloc, scope, release, synchronize, close}; {@code index}
 *       (validated by the op that reads it).</li>
 *   <li>Memory: {@code upload} checked (also through the default {@code fromHost}); {@code copy} checked;
 *       {@code toHost, fill} accept any shape.</li>
 *   <li>Dense: {@code gemm, linearForward, activationBackward, linearBackward, applyMask} checked.</li>
 *   <li>Gather/scatter: {@code gather, scatterAdd} checked (shapes and index range; repeats are allowed).</li>
 *   <li>Couplings: {@code affineCouplingForward, affineCouplingInverse, affineCouplingBackward, additiveCouplingForward,
 *       additiveCouplingInverse} checked (shapes, mask index range, repeated mask indices).</li>
 *   <li>Actnorm: {@code actnormForward, actnormInverse, actnormBackward, actnormInitStats} checked.</li>
 *   <li>LU: {@code luAssemble, luSolve, luWeightBackward} checked (factor shapes, permutation length and validity).</li>
 *   <li>Log-det terms: {@code addScaledSum, addScaledTotal} checked (the per-sample side; the parameter side takes any shape).</li>
 *   <li>MAF: {@code mafForward, mafBackward, mafInverse} checked (mafInverse: order permutation, layer count and chaining).</li>
 *   <li>Distributions: {@code stdNormalLogProb, stdNormalLogProbBackward, diagNormalLogProb, diagNormalLogProbBackward,
 *       condNormalLogProb, condNormalLogProbBackward, condNormalSample} checked; {@code sum, sumSquares, allFinite}
 *       accept any shape.</li>
 *   <li>Element-wise: {@code axpy} checked; {@code scale, randomNormal, randomUniform} accept any shape.</li>
 *   <li>Images: {@code view, activate, conv2dForward, conv2dBackward, squeeze, unsqueeze, sliceChannels, placeChannels,
 *       logitForward, logitInverse, logitBackward} checked.</li>
 *   <li>Optimizers: {@code adamUpdate, adamaxUpdate, adamStep, adamaxStep} checked; the step-status ops
 *       {@code stepStatus, sumInto, gradStatusInto, clipScale} take no shape-constrained arguments.</li>
 * </ul>
 * {@link #everyCheckedOpIsInTheTable} keeps this list honest: a Backend op must either have an {@code OpChecks}
 * counterpart that the table exercises, or be listed in {@link #UNCHECKED}.
 */
class OpChecksTest {

    /** Backend methods that take no shape-constrained arguments, so OpChecks has nothing for them. */
    static final Set<String> UNCHECKED = Set.of(
            "name", "threads", "alloc", "allocUninitialized", "scope", "release", "fromHost", "index", "fill", "synchronize",
            "sum", "sumSquares", "allFinite", "gradStatus", "scale", "randomNormal", "randomUniform", "close",
            "stepStatus", "sumInto", "gradStatusInto", "clipScale");  // the step status: slots, not shapes

    /** Public OpChecks methods that are shared pieces of an op's checks, not ops themselves. */
    static final Set<String> HELPERS = Set.of(
            "planeSize",        // spatial size, used by the backends
            "luFactors",        // the checks shared by luAssemble, luSolve and luWeightBackward
            "distinct",         // "every value once", shared by the coupling mask and LU permutation checks
            "mafInverseLayer"); // the per-layer part of mafInverse

    private CpuBackend be;

    @BeforeEach void open() { be = new CpuBackend(2); }

    @AfterEach void close() { be.close(); }

    @TestFactory Stream<DynamicTest> cpuBackend() {
        return OpCheckCases.cases(be).stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> run(c, be)));
    }

    /** Runs one case: an accepted call must not throw; a rejected one must throw a ShapeException naming op and argument. */
    static void run(Case c, Backend be) {
        if (c.accepted()) {
            assertDoesNotThrow(() -> c.call().accept(be), c.toString());
            return;
        }
        ShapeException e = assertThrows(ShapeException.class, () -> c.call().accept(be), c.toString());
        String m = e.getMessage();
        assertTrue(m.startsWith(c.op() + ": "), c + ": the message should start with the op name: " + m);
        for (String f : c.fragments()) assertTrue(m.contains(f), c + ": the message should contain '" + f + "': " + m);
    }

    /** The op families: the interfaces that {@link Backend}'s accessors return ({@code coupling()} → CouplingOps, ...). */
    static List<Class<?>> families() {
        return Arrays.stream(Backend.class.getMethods())
                .filter(m -> m.getParameterCount() == 0 && m.getReturnType().isInterface()
                        && m.getReturnType().getPackageName().startsWith("dev.fluvia.backend.") && m.getReturnType().getSimpleName().endsWith("Ops"))
                .sorted(java.util.Comparator.comparing(Method::getName))
                .<Class<?>>map(Method::getReturnType).toList();
    }

    /** The checks class of a family: its nested {@code Checks}. */
    static Class<?> checksOf(Class<?> family) {
        return Arrays.stream(family.getDeclaredClasses()).filter(c -> c.getSimpleName().equals("Checks")).findFirst()
                .orElseThrow(() -> new AssertionError(family.getSimpleName() + " has no nested Checks class"));
    }

    static Set<String> checkNames() {
        List<Class<?>> holders = new ArrayList<>(List.of(OpChecks.class));
        for (Class<?> f : families()) holders.add(checksOf(f));
        return holders.stream().flatMap(c -> Arrays.stream(c.getDeclaredMethods()))
                .filter(m -> Modifier.isPublic(m.getModifiers()) && Modifier.isStatic(m.getModifiers()))
                .map(Method::getName)
                .filter(n -> !HELPERS.contains(n))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** The ops: Backend's own methods (not the family accessors) and every family interface's methods. */
    static Set<String> backendNames() {
        List<Class<?>> fams = families();
        Set<String> names = Arrays.stream(Backend.class.getMethods()).filter(m -> !(m.getParameterCount() == 0 && fams.contains(m.getReturnType())))
                .map(Method::getName).collect(Collectors.toCollection(TreeSet::new));
        for (Class<?> f : fams) for (Method m : f.getMethods()) names.add(m.getName());
        return names;
    }

    @Test void familiesAreFound() {
        assertTrue(families().size() >= 1, "no op family found through Backend's accessors");
        for (Class<?> f : families()) assertTrue(checksOf(f) != null);
    }

    @Test void everyCheckedOpIsInTheTable() {
        Set<String> checks = checkNames(), ops = backendNames();
        List<Case> cases = OpCheckCases.cases(be);
        List<String> problems = new ArrayList<>();
        for (String n : checks) {
            if (!ops.contains(n)) problems.add("OpChecks." + n + " is no Backend op (add it to HELPERS if it is a shared piece)");
            if (cases.stream().noneMatch(c -> c.op().equals(n) && c.accepted())) problems.add(n + ": no accepted call in the table");
            if (cases.stream().noneMatch(c -> c.op().equals(n) && !c.accepted())) problems.add(n + ": no rejected call in the table");
        }
        for (String n : ops)
            if (!checks.contains(n) && !UNCHECKED.contains(n))
                problems.add("Backend." + n + " has no OpChecks method and is not listed as UNCHECKED");
        for (String n : UNCHECKED)
            if (checks.contains(n) || !ops.contains(n)) problems.add(n + " is listed as UNCHECKED but is checked or no Backend op");
        for (Case c : cases)
            if (!checks.contains(c.op())) problems.add(c + ": the op has no OpChecks method");
        Set<String> seen = new HashSet<>();
        for (Case c : cases) if (!seen.add(c.toString())) problems.add(c + ": duplicate case name");
        assertEquals(List.of(), problems);
    }

    /** The table covers at least the ops and messages that had no test before it. */
    @Test void formerlyUntestedChecksAreExercised() {
        List<Case> cases = OpCheckCases.cases(be);
        for (String op : List.of("affineCouplingInverse", "additiveCouplingForward", "additiveCouplingInverse", "actnormInverse",
                "actnormBackward", "actnormInitStats", "luAssemble", "luWeightBackward", "luSolve", "mafBackward", "mafInverse",
                "stdNormalLogProbBackward", "diagNormalLogProbBackward", "condNormalLogProbBackward", "adamaxUpdate",
                "conv2dBackward", "logitForward", "logitInverse", "logitBackward", "condNormalLogProb", "condNormalSample",
                "squeeze", "unsqueeze", "sliceChannels", "placeChannels"))
            assertTrue(cases.stream().anyMatch(c -> c.op().equals(op) && !c.accepted()), op);
        for (String message : List.of("mask indices must not repeat", "must be a permutation", "index 3 out of range",
                "mask index 3 out of range"))
            assertTrue(cases.stream().anyMatch(c -> !c.accepted() && c.fragments().stream().anyMatch(f -> f.contains(message))), message);
    }

    /**
     * Was a hole: {@code OpChecks.diagNormalLogProbBackward} was not given {@code logSigma}, so a logSigma shorter than D
     * was read out of bounds (ArrayIndexOutOfBoundsException on the CPU, a stray device read on CUDA).
     */
    @Test void diagNormalLogProbBackwardChecksLogSigma() {
        ShapeException e = assertThrows(ShapeException.class, () -> be.dist().diagNormalLogProbBackward(
                be.alloc(4, 3), be.alloc(3), be.alloc(2), be.alloc(4), null, be.alloc(3), be.alloc(3)));
        assertTrue(e.getMessage().startsWith("diagNormalLogProbBackward: ") && e.getMessage().contains("logSigma"), e.getMessage());
    }
}
