package dev.fluvia.cli;

/** Runs the CLI from tests in other packages, output captured (see {@link CliTest#run}); returns the exit code. */
public final class CliAccess {
    private CliAccess() {}

    public static int run(String... args) { return CliTest.run(args).code(); }
}
