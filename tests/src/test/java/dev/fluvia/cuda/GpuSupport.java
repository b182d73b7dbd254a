package dev.fluvia.cuda;

import static org.junit.jupiter.api.Assertions.fail;

import dev.fluvia.backend.cuda.CudaBackend;
import dev.fluvia.backend.cuda.CudaStatus;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The rule of the {@code gpu}-tagged tests (one place for all of them; register with {@code @ExtendWith(GpuSupport.class)}
 * and call {@link #requireCuda(String)} first in {@code @BeforeAll}):
 * <ul>
 *   <li>a usable CUDA device: the tests run;</li>
 *   <li>none, and the gpu group was asked for ({@code -Dfluvia.groups=gpu}, or {@code -Dfluvia.requireGpu=true}, both passed to
 *       the forked test JVM by tests/pom.xml): the class FAILS, its message naming the missing piece;</li>
 *   <li>none in an ordinary CPU run: every test is reported SKIPPED with the reason (counted per test, not an aborted class
 *       that vanishes from the totals).</li>
 * </ul>
 */
public final class GpuSupport implements ExecutionCondition {
    private static volatile CudaStatus status;

    /** The probe's answer, taken once per JVM. */
    public static CudaStatus status() {
        CudaStatus s = status;
        if (s == null) status = s = CudaBackend.probe();
        return s;
    }

    /** True when the gpu group was explicitly asked for: then a missing GPU is a failure, not a skip. */
    public static boolean required() {
        return Boolean.getBoolean("fluvia.requireGpu") || groupsSelectGpu(System.getProperty("fluvia.groups", ""));
    }

    /** Whether a JUnit tag expression (surefire's groups) names {@code gpu} other than as {@code !gpu}. */
    static boolean groupsSelectGpu(String groups) {
        return Pattern.compile("(^|[^!\\w])\\s*gpu(?!\\w)").matcher(groups == null ? "" : groups.trim()).find();
    }

    /** Why the gpu tests cannot run here (null when they can). */
    public static String whyNot() {
        CudaStatus s = status();
        return s.available() ? null : "no usable GPU (missing: " + s.missing() + ")";
    }

    /**
     * For {@code @BeforeAll}: true when CUDA is usable (create the backends); false in a CPU run without a GPU (the tests are
     * skipped by the condition); fails the class when the gpu group was asked for and CUDA is not usable.
     */
    public static boolean requireCuda(String testClass) {
        String why = whyNot();
        if (why == null) return true;
        if (required())
            fail(testClass + ": the gpu test group was asked for (fluvia.groups=" + System.getProperty("fluvia.groups", "")
                    + ", fluvia.requireGpu=" + System.getProperty("fluvia.requireGpu", "false") + ") but " + why
                    + (Boolean.getBoolean("fluvia.emulator")
                        ? "\nthis is the emulated run: build the CUDA emulator first (scripts/test does; or cmake -S . -B build && cmake --build build),"
                          + " or leave the run out with -Dfluvia.emu.skip=true"
                        : "") + "\n" + status().report());
        return false;
    }

    @Override public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        String why = whyNot();
        if (why == null) return ConditionEvaluationResult.enabled("CUDA available");
        if (required()) return ConditionEvaluationResult.enabled("gpu group asked for: runs and fails without a GPU");
        // the class runs (its @BeforeAll sees no GPU and returns), each test is skipped with the reason
        if (context.getTestMethod().isEmpty()) return ConditionEvaluationResult.enabled("tests decide one by one");
        return ConditionEvaluationResult.disabled("gpu test skipped: " + why);
    }
}
