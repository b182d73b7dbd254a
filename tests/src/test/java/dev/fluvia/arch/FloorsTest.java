package dev.fluvia.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.library.freeze.FreezingArchRule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The floors of docs/ARCHITECTURE.md hold for Fluvia's production classes (fluvia-core and fluvia-cli), and each rule fails
 * on a planted violation (classes under {@code planted.up}) while passing on planted imports that run down the floors
 * ({@code planted.down}): no rule passes vacuously.
 *
 * <p>Rules with a known, not yet fixed violation (transforms.image.Split → flow.LatentContext: multi-scale through a
 * ThreadLocal, issue 9) run frozen: the violations in {@code src/test/resources/archunit_store} are accepted, any other
 * fails. {@link #frozenViolationsAreOnlyTheMultiScaleOnes} keeps that store narrow.
 */
class FloorsTest {
    private static final String ROOT = "dev.fluvia";
    /** Rules that run frozen on the production classes; every other rule must hold outright. */
    private static final Set<String> FROZEN = Set.of("floors", "transforms-flow");

    private static JavaClasses production() {
        return new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages(ROOT);
    }

    static List<String> ruleNames() { return Floors.names(); }

    @Test
    void productionClassesAreAllThere() {
        JavaClasses classes = production();
        for (String c : List.of("dev.fluvia.FluviaException", "dev.fluvia.tensor.Tensor", "dev.fluvia.backend.cpu.CpuBackend",
                "dev.fluvia.param.Param", "dev.fluvia.param.Stash", "dev.fluvia.nn.Mlp", "dev.fluvia.distributions.StandardNormal",
                "dev.fluvia.transforms.image.Split", "dev.fluvia.flow.Flow", "dev.fluvia.io.Checkpoint", "dev.fluvia.train.Trainer",
                "dev.fluvia.data.CsvReader", "dev.fluvia.cli.Main", "dev.fluvia.app.TrainJob", "dev.fluvia.plot.Plots"))
            assertTrue(classes.stream().anyMatch(k -> k.getName().equals(c)), "imported classes lack " + c);
        assertTrue(classes.size() > 150, "only " + classes.size() + " classes imported");
        assertTrue(classes.stream().noneMatch(c -> c.getName().endsWith("Test")), "test classes were imported");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("ruleNames")
    void productionHoldsTheFloors(String name) {
        ArchRule rule = name.equals("cycles") ? Floors.noPackageCyclesExceptMultiScale() : Floors.all(ROOT, false).get(name);
        (FROZEN.contains(name) ? FreezingArchRule.freeze(rule) : rule).check(production());
    }

    /** Each rule and the planted classes that break it (each of them must be named in the failure). */
    private static final Map<String, List<String>> PLANTED = Map.of(
            "floors", List.of("planted.up.nn.NnUsesTransforms", "planted.up.transforms.UsesFlow",
                    "planted.up.backend.UsesTransforms", "planted.up.train.UsesCli", "planted.up.transforms.UsesIo"),
            "nn-transforms", List.of("planted.up.nn.NnUsesTransforms"),
            "transforms-flow", List.of("planted.up.transforms.UsesFlow"),
            "backend-transforms", List.of("planted.up.backend.UsesTransforms"),
            "transforms-io", List.of("planted.up.transforms.UsesIo"),
            "below-cli", List.of("planted.up.train.UsesCli"),
            "cli-libraries", List.of("planted.up.flow.UsesPicocli"),
            "cpu-cuda", List.of("planted.up.backend.cpu.UsesCuda", "planted.up.backend.family.CpuFamily"),
            "cycles", List.of("planted.up.transforms.UsesIo", "planted.up.io.Codec"));

    @Test
    void everyRuleHasAPlantedViolation() { assertEquals(Set.copyOf(ruleNames()), PLANTED.keySet()); }

    @ParameterizedTest(name = "{0}")
    @MethodSource("ruleNames")
    void ruleFailsOnAPlantedViolation(String name) {
        JavaClasses planted = new ClassFileImporter().importPackages("planted.up");
        AssertionError e = assertThrows(AssertionError.class, () -> Floors.all("planted.up", true).get(name).check(planted));
        for (String c : PLANTED.get(name))
            assertTrue(e.getMessage().contains(c), name + ": the failure does not name " + c + ":\n" + e.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("ruleNames")
    void ruleAllowsImportsDownTheFloors(String name) {
        JavaClasses planted = new ClassFileImporter().importPackages("planted.down");
        assertTrue(planted.size() >= 9, "planted.down: " + planted.size() + " classes");
        ArchRule rule = Floors.all("planted.down", true).get(name);
        // a rule whose subject has no class in planted.down (e.g. the CPU backend) would fail as "empty": allow that here only
        rule.allowEmptyShould(true).check(planted);
    }

    /** The freeze store accepts only the multi-scale split's calls into flow.LatentContext. */
    @Test
    void frozenViolationsAreOnlyTheMultiScaleOnes() throws IOException {
        Path store = Path.of("src/test/resources/archunit_store");
        assertTrue(Files.isDirectory(store), "no freeze store at " + store.toAbsolutePath());
        List<String> lines;
        try (Stream<Path> files = Files.list(store)) {
            lines = files.filter(p -> !p.getFileName().toString().equals("stored.rules")).flatMap(p -> {
                try { return Files.readAllLines(p).stream(); } catch (IOException ex) { throw new RuntimeException(ex); }
            }).filter(l -> !l.isBlank()).toList();
        }
        assertTrue(!lines.isEmpty(), "the freeze store is empty: drop the frozen rules from FROZEN");
        for (String l : lines)
            assertTrue(l.contains("<dev.fluvia.transforms.image.Split.") && l.contains("<dev.fluvia.flow.LatentContext."),
                    "a frozen violation outside the multi-scale split: " + l);
    }
}
