package dev.fluvia.cli;

import dev.fluvia.io.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** One-line validation of option values and output paths, shared by the commands. */
final class Checks {
    private Checks() {}

    /** {@code min ≤ value ≤ max}, or an error naming the option and its range. */
    static void range(String option, long value, long min, long max) {
        if (value < min || value > max)
            throw new IllegalArgumentException(option + " must be " + (max == Long.MAX_VALUE ? "≥ " + min : "between " + min + " and " + max) + ", got " + value);
    }

    /** A finite {@code min ≤ value ≤ max} (or {@code < max} when {@code maxExclusive}). */
    static void range(String option, double value, double min, double max, boolean maxExclusive) {
        if (!Double.isFinite(value) || value < min || value > max || (maxExclusive && value == max))
            throw new IllegalArgumentException(option + " must be a number in [" + min + ", " + max + (maxExclusive ? ")" : "]") + ", got " + value);
    }

    /**
     * An output file: not a symbolic link, device, FIFO or directory, not one of the inputs, and in a directory that
     * exists. Checked before any work is done.
     */
    static void output(String option, Path out, Path... inputs) {
        try {
            AtomicFiles.checkTarget(out);
        } catch (IOException e) {
            throw new IllegalArgumentException(option + " " + e.getMessage());
        }
        for (Path in : inputs) {
            if (in == null || !Files.exists(in) || !Files.exists(out)) continue;
            try {
                if (Files.isSameFile(in, out))
                    throw new IllegalArgumentException(option + " " + out + ": is the input file " + in + "; refusing to overwrite the input (choose another output path)");
            } catch (IOException e) {
                throw new UncheckedIOException(out + ": " + AtomicFiles.reason(e), e);
            }
        }
        Path dir = out.toAbsolutePath().getParent();
        if (dir != null && !Files.isDirectory(dir))
            throw new IllegalArgumentException(option + " " + out + ": " + (Files.exists(dir) ? dir + " is not a directory" : "the directory " + dir + " does not exist"));
    }

    /** An output folder that exists (or can be created) and accepts a new file; the reason when not. */
    static void outputDirectory(String option, Path dir) {
        if (Files.exists(dir) && !Files.isDirectory(dir)) throw new IllegalArgumentException(option + " " + dir + ": is not a directory");
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IllegalArgumentException(option + " " + dir + ": cannot create the folder: " + AtomicFiles.reason(e));
        }
        try {
            Path probe = Files.createTempFile(dir, ".fluvia-write-check.", ".tmp");
            Files.delete(probe);
        } catch (IOException e) {
            throw new IllegalArgumentException(option + " " + dir + ": cannot write there: " + AtomicFiles.reason(e));
        }
    }
}
