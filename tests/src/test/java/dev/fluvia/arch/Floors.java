package dev.fluvia.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.library.Architectures.LayeredArchitecture;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Fluvia's floors (docs/ARCHITECTURE.md) as ArchUnit rules over the packages below a root: {@code dev.fluvia} for the real
 * code, {@code planted.*} for the classes {@link FloorsTest} plants to show that every rule fails when a floor is broken.
 * An import may run down a floor or stay on its own, never up.
 */
final class Floors {
    private Floors() {}

    /** Bottom to top: a floor may use the floors listed before it. Values are package patterns below the root. */
    static Map<String, List<String>> floors() {
        Map<String, List<String>> f = new LinkedHashMap<>();
        f.put("base", List.of("", ".tensor.."));                 // FluviaException, tensors
        f.put("native", List.of(".cuda.."));                     // FFM bindings of cuBLAS / cuRAND, library lookup
        f.put("backend", List.of(".backend.."));                 // the op contract, CPU and CUDA backends
        f.put("param", List.of(".param.."));                     // Param, Stash
        f.put("nn", List.of(".nn.."));                           // conditioner networks
        f.put("distributions", List.of(".distributions.."));     // base distributions
        f.put("transforms", List.of(".transforms.."));           // bijective layers
        f.put("flow", List.of(".flow.."));                       // Flow, presets
        f.put("io", List.of(".io.."));                           // checkpoints, safetensors, files
        f.put("train", List.of(".train.."));                     // trainer, optimizers, schedules
        f.put("data", List.of(".data.."));                       // readers, generators, image data sets
        f.put("cli", List.of(".cli..", ".app..", ".plot.."));    // module fluvia-cli
        return f;
    }

    static String[] packages(String root, List<String> patterns) {
        return patterns.stream().map(p -> root + p).toArray(String[]::new);
    }

    /** The packages of module fluvia-cli. */
    static String[] cliPackages(String root) { return packages(root, floors().get("cli")); }

    /** Every floor uses only the floors below it (and itself). */
    static ArchRule floorsRule(String root, boolean optionalLayers) {
        Map<String, List<String>> f = floors();
        LayeredArchitecture arch = layeredArchitecture().consideringOnlyDependenciesInLayers().withOptionalLayers(optionalLayers);
        for (var e : f.entrySet()) arch = arch.layer(e.getKey()).definedBy(packages(root, e.getValue()));
        List<String> names = new ArrayList<>(f.keySet());
        for (int i = 0; i < names.size(); i++) {
            String[] above = names.subList(i + 1, names.size()).toArray(String[]::new);
            arch = above.length == 0 ? arch.whereLayer(names.get(i)).mayNotBeAccessedByAnyLayer()
                                     : arch.whereLayer(names.get(i)).mayOnlyBeAccessedByLayers(above);
        }
        return arch.as("Fluvia's floors: no import runs up a floor (" + String.join(" < ", names) + ") below " + root);
    }

    static ArchRule nnDoesNotUseTransforms(String root) {
        return noClasses().that().resideInAPackage(root + ".nn..")
                .should().dependOnClassesThat().resideInAPackage(root + ".transforms..")
                .as("nn must not use transforms (below " + root + ")");
    }

    static ArchRule transformsDoNotUseFlow(String root) {
        return noClasses().that().resideInAPackage(root + ".transforms..")
                .should().dependOnClassesThat().resideInAPackage(root + ".flow..")
                .as("transforms must not use flow (below " + root + ")");
    }

    static ArchRule backendDoesNotUseTransforms(String root) {
        return noClasses().that().resideInAPackage(root + ".backend..")
                .should().dependOnClassesThat().resideInAPackage(root + ".transforms..")
                .as("backend must not use transforms (below " + root + ")");
    }

    static ArchRule transformsDoNotUseIo(String root) {
        return noClasses().that().resideInAPackage(root + ".transforms..")
                .should().dependOnClassesThat().resideInAPackage(root + ".io..")
                .as("transforms must not use io: io reads and writes layers, never the other way (below " + root + ")");
    }

    /** Layers, their networks, base distributions, parameters and flows know no JSON: io's codecs write and read them. */
    static ArchRule layersWithoutJson(String root) {
        return noClasses().that().resideInAnyPackage(root + ".transforms..", root + ".nn..", root + ".distributions..", root + ".param..", root + ".flow..")
                .should().dependOnClassesThat().resideInAPackage("com.fasterxml.jackson..")
                .as("transforms, nn, distributions, param and flow use no Jackson: one codec per kind in io (below " + root + ")");
    }

    static ArchRule nothingBelowTheCliUsesIt(String root) {
        return noClasses().that().resideOutsideOfPackages(cliPackages(root))
                .should().dependOnClassesThat().resideInAnyPackage(cliPackages(root))
                .as("nothing below the CLI uses cli, app or plot (below " + root + ")");
    }

    /** The library's code uses none of the CLI's libraries (the enforcer rule of java/fluvia-core/pom.xml holds the poms). */
    static ArchRule libraryWithoutCliLibraries(String root) {
        return noClasses().that().resideInAPackage(root + "..").and().resideOutsideOfPackages(cliPackages(root))
                .should().dependOnClassesThat().resideInAnyPackage("picocli..", "org.knowm.xchart..", "me.tongfei.progressbar..")
                .as("the library uses no picocli, XChart or progressbar (below " + root + ")");
    }

    static ArchRule cpuBackendWithoutCuda(String root) {
        return noClasses().that().resideInAPackage(root + ".backend.cpu..")
                .should().dependOnClassesThat().resideInAnyPackage(root + ".backend.cuda..", root + ".cuda..")
                .as("the CPU backend never touches CUDA (below " + root + ")");
    }

    /** No cycle between the top-level packages (io ↔ transforms, flow ↔ transforms, ...). */
    static ArchRule noPackageCycles(String root) {
        return slices().matching(root + ".(*)..").should().beFreeOfCycles()
                .as("no cycle between the packages below " + root);
    }

    /** Every rule, by name. */
    static Map<String, ArchRule> all(String root, boolean optionalLayers) {
        Map<String, ArchRule> m = new LinkedHashMap<>();
        m.put("floors", floorsRule(root, optionalLayers));
        m.put("nn-transforms", nnDoesNotUseTransforms(root));
        m.put("transforms-flow", transformsDoNotUseFlow(root));
        m.put("backend-transforms", backendDoesNotUseTransforms(root));
        m.put("transforms-io", transformsDoNotUseIo(root));
        m.put("layers-json", layersWithoutJson(root));
        m.put("below-cli", nothingBelowTheCliUsesIt(root));
        m.put("cli-libraries", libraryWithoutCliLibraries(root));
        m.put("cpu-cuda", cpuBackendWithoutCuda(root));
        m.put("cycles", noPackageCycles(root));
        return m;
    }

    static List<String> names() { return Arrays.asList(all("x", true).keySet().toArray(String[]::new)); }
}
