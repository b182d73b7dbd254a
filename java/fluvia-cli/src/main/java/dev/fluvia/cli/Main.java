package dev.fluvia.cli;

import dev.fluvia.FluviaException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code fluvia} command line. */
@Command(name = "fluvia", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Fluvia: normalizing flows for the JVM — train, evaluate and sample density models.",
        footer = "Any command accepts --verbose, which adds the stack trace to an error message.",
        subcommands = {DemoCommand.class, TrainCommand.class, FitTargetCommand.class, LogProbCommand.class, SampleCommand.class, InfoCommand.class,
                EncodeCommand.class, DecodeCommand.class, InterpolateCommand.class, AttributeCommand.class, BenchGlowCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements java.util.concurrent.Callable<Integer> {

    static final class Version implements CommandLine.IVersionProvider {
        @Override public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"fluvia " + (v == null ? "dev" : v) + " (Java " + Runtime.version() + ")"};
        }
    }

    /** No command given: usage on stderr and exit status 2. */
    @Override public Integer call() {
        new CommandLine(this).usage(System.err);
        return 2;
    }

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        System.exit(execute(args));
    }

    /**
     * Runs the CLI and returns the exit code (tests call this). Every error ends in one line on stderr, never a raw stack
     * trace: typed Fluvia errors and bad values exit 2, anything else (a bug, or the JVM out of memory) exits 3. The
     * option {@code --verbose}, anywhere on the command line, adds the stack trace.
     */
    public static int execute(String... args) {
        boolean verbose = java.util.Arrays.asList(args).contains("--verbose");
        String[] rest = java.util.Arrays.stream(args).filter(a -> !a.equals("--verbose")).toArray(String[]::new);
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            PrintWriter err = cmd.getErr();
            String name = "fluvia " + cmd.getCommandName();
            int code;
            if (ex instanceof FluviaException || ex instanceof IllegalArgumentException) {
                err.println(name + ": " + ex.getMessage());
                code = 2;
            } else if (ex instanceof java.io.UncheckedIOException || ex instanceof java.io.IOException) {
                Throwable io = ex instanceof java.io.UncheckedIOException u ? u.getCause() : ex;
                String msg = ex.getMessage();
                if (io instanceof java.nio.file.NoSuchFileException nf) msg = nf.getFile() + ": no such file";
                else if (io instanceof java.io.IOException i && (msg == null || msg.startsWith("java."))) msg = dev.fluvia.io.AtomicFiles.reason(i);
                err.println(name + ": " + msg);
                code = 2;
            } else {
                err.println(name + ": internal error: " + ex + (verbose ? "" : " (run with --verbose for the stack trace)"));
                code = 3;
            }
            if (verbose) ex.printStackTrace(err);
            err.flush();
            return code;
        });
        try {
            return cl.execute(rest);
        } catch (OutOfMemoryError | StackOverflowError e) { // Errors are not passed to the handler
            System.err.println("fluvia: " + (e instanceof OutOfMemoryError ? "out of memory (" + e.getMessage()
                    + "); use smaller sizes or give the JVM more memory (FLUVIA_JVM_FLAGS=-Xmx…)" : "internal error: " + e)
                    + (verbose ? "" : " (run with --verbose for the stack trace)"));
            if (verbose) e.printStackTrace();
            return 3;
        }
    }
}
