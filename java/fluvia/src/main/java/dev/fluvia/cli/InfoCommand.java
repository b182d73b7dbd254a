package dev.fluvia.cli;

import dev.fluvia.io.ModelDescription;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "info", mixinStandardHelpOptions = true, description = "Describe a saved model: layers, parameter count, data statistics.")
final class InfoCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, required = true, description = "A model.safetensors written by fluvia train.")
    Path model;

    @Override public Integer call() {
        System.out.print(ModelDescription.read(model).summary());
        return 0;
    }
}
