package dev.fluvia.cli;

import dev.fluvia.FluviaException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code fluvia} command line. */
@Command(name = "fluvia", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Fluvia: normalizing flows for the JVM — train, evaluate and sample density models.",
        subcommands = {DemoCommand.class, TrainCommand.class, LogProbCommand.class, SampleCommand.class, InfoCommand.class,
                EncodeCommand.class, DecodeCommand.class, InterpolateCommand.class, AttributeCommand.class, BenchGlowCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    static final class Version implements CommandLine.IVersionProvider {
        @Override public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"fluvia " + (v == null ? "dev" : v) + " (Java " + Runtime.version() + ")"};
        }
    }

    @Override public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        System.exit(execute(args));
    }

    /** Runs the CLI and returns the exit code (tests call this). Typed Fluvia errors print one clear line, not a stack trace. */
    public static int execute(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            PrintWriter err = cmd.getErr();
            if (ex instanceof FluviaException || ex instanceof IllegalArgumentException || ex instanceof java.io.UncheckedIOException) {
                err.println("fluvia " + cmd.getCommandName() + ": " + ex.getMessage());
                err.flush();
                return 2;
            }
            throw ex;
        });
        return cl.execute(args);
    }
}
