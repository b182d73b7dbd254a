package dev.fluvia.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The built-in default job: RealNVP on two moons, with the model and pictures written to a folder. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Train a RealNVP on the two-moons data set (about a minute on 2 cores) and write the model, metrics and pictures.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--out", defaultValue = "runs/demo", description = "Output folder. Default: ${DEFAULT-VALUE}.")
    Path out;

    @Option(names = "--steps", defaultValue = "3000", description = "Training steps. Default: ${DEFAULT-VALUE}.")
    long steps;

    @Mixin Common common;

    @Override public Integer call() {
        String[] args = {"--data", "moons", "--flow", "realnvp", "--steps", Long.toString(steps), "--out", out.toString(),
                "--backend", common.backend, "--threads", Integer.toString(common.threads)};
        TrainCommand t = new TrainCommand();
        new CommandLine(t).parseArgs(common.quiet ? append(args, "--quiet") : args);
        return t.call();
    }

    private static String[] append(String[] a, String s) {
        String[] b = java.util.Arrays.copyOf(a, a.length + 1);
        b[a.length] = s;
        return b;
    }
}
