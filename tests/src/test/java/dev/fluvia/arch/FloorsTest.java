package dev.fluvia.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
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
 * <p>Every rule holds outright: nothing runs frozen (no ArchUnit freeze store of accepted violations). The last known
 * violation, the multi-scale split's ThreadLocal {@code flow.LatentContext} (transforms → flow), went with issue 9: a flow
 * now holds its levels and their factored-out latents. {@link #noFrozenViolations} keeps it that way.
 */
class FloorsTest {
    private static final String ROOT = "dev.fluvia";

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
        Floors.all(ROOT, false).get(name).check(production());
    }

    /** Each rule and the planted classes that break it (each of them must be named in the failure). */
    private static final Map<String, List<String>> PLANTED = Map.of(
            "floors", List.of("planted.up.nn.NnUsesTransforms", "planted.up.transforms.UsesFlow",
                    "planted.up.backend.UsesTransforms", "planted.up.train.UsesCli", "planted.up.transforms.UsesIo"),
            "nn-transforms", List.of("planted.up.nn.NnUsesTransforms"),
            "transforms-flow", List.of("planted.up.transforms.UsesFlow"),
            "backend-transforms", List.of("planted.up.backend.UsesTransforms"),
            "transforms-io", List.of("planted.up.transforms.UsesIo"),
            "layers-json", List.of("planted.up.transforms.UsesJackson"),
            "below-cli", List.of("planted.up.train.UsesCli"),
            "cli-libraries", List.of("planted.up.flow.UsesPicocli"),
            "cpu-cuda", List.of("planted.up.backend.cpu.UsesCuda"),
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

    /** Every layer class (a concrete {@code Transform} of the library) has exactly one codec in io, and kinds are unique. */
    @Test
    void everyLayerClassHasOneCodec() {
        var codecs = dev.fluvia.io.Registry.LAYERS;
        assertEquals(codecs.size(), codecs.stream().map(c -> c.kind()).distinct().count(), "two codecs share a kind");
        assertEquals(codecs.size(), codecs.stream().map(c -> c.type()).distinct().count(), "two codecs write the same class");
        List<String> layers = production().stream()
                .filter(c -> c.isAssignableTo(dev.fluvia.transforms.Transform.class) && !c.isInterface()
                        && !c.getModifiers().contains(com.tngtech.archunit.core.domain.JavaModifier.ABSTRACT))
                .map(c -> c.getName()).sorted().toList();
        assertTrue(layers.size() >= 19, "only " + layers.size() + " layer classes found: " + layers);
        for (String l : layers)
            assertEquals(1, codecs.stream().filter(c -> c.type().getName().equals(l)).count(), l + " has no codec in io.Registry");
    }

    /**
     * No violation is accepted frozen: there is no freeze store of ArchUnit violations (the rules above run unfrozen), and
     * the ArchUnit configuration does not let one be created silently.
     */
    @Test
    void noFrozenViolations() throws IOException {
        Path store = Path.of("src/test/resources/archunit_store");
        if (Files.isDirectory(store)) {
            List<String> lines;
            try (Stream<Path> files = Files.list(store)) {
                lines = files.filter(p -> !p.getFileName().toString().equals("stored.rules")).flatMap(p -> {
                    try { return Files.readAllLines(p).stream(); } catch (IOException ex) { throw new RuntimeException(ex); }
                }).filter(l -> !l.isBlank()).toList();
            }
            assertTrue(lines.isEmpty(), "the freeze store holds accepted violations: " + lines);
        }
        Path props = Path.of("src/test/resources/archunit.properties");
        if (Files.exists(props))
            assertTrue(Files.readString(props).contains("freeze.store.default.allowStoreCreation=false"),
                    "archunit.properties must not allow a freeze store to be created");
    }
}
