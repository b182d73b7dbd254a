package dev.fluvia.app;

import dev.fluvia.FluviaException.DataFormatException;
import dev.fluvia.data.CsvReader;
import dev.fluvia.data.Dataset;
import dev.fluvia.data.Generators;
import dev.fluvia.data.NpyReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Resolves a {@code --data} argument: a built-in generator name, or a .csv / .npy file. */
public final class DataSource {
    private DataSource() {}

    public static boolean isGenerator(String spec) { return Generators.NAMES.contains(spec.toLowerCase(Locale.ROOT)); }

    /** @param n samples to draw for a generator (ignored for files) */
    public static Dataset load(String spec, int n, long seed) {
        if (isGenerator(spec)) return Generators.generate(spec.toLowerCase(Locale.ROOT), n, seed);
        Path p = Path.of(spec);
        if (!Files.exists(p))
            throw new DataFormatException("--data " + spec + ": no such file, and not a built-in dataset (" + String.join(", ", Generators.NAMES) + ")");
        return readFile(p);
    }

    /** Reads a data file by its extension: .npy (NumPy), or .csv / .txt / .tsv (and, with no known extension, CSV). */
    public static Dataset readFile(Path p) {
        String name = p.getFileName() == null ? "" : p.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".npy")) return NpyReader.read(p);
        if (name.endsWith(".csv") || name.endsWith(".txt") || name.endsWith(".tsv")) return CsvReader.read(p);
        if (!name.contains(".")) return CsvReader.read(p);
        throw new DataFormatException(p + ": unknown data format (expected .csv or .npy)");
    }
}
