package dev.fluvia.cuda.emu;

import dev.fluvia.backend.cuda.LaunchTrace;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The {@code extern "C" __global__} signatures of kernels/*.cu, read from the sources, and the check of a Java launch
 * against them: parameter count, order, and the 4- or 8-byte type of each (a device pointer, int, long long, float, double).
 * A {@code Long} argument is accepted for a pointer too (a raw device address, e.g. an offset into a scratch block).
 */
public final class KernelSignatures {
    /** One parameter: its name in the source and its kind ("ptr", "int", "uint", "long long", "float", "double"). */
    public record Param(String name, String kind) {}

    /** One kernel: name, the file it lives in, its parameters. */
    public record Kernel(String name, String file, List<Param> params) {}

    private static final Pattern KERNEL = Pattern.compile(
            "extern\\s+\"C\"\\s+__global__\\s+void\\s+(?:__launch_bounds__\\([^)]*\\)\\s+)?([A-Za-z_]\\w*)\\s*\\(([^)]*)\\)");

    private final Map<String, Kernel> kernels;

    private KernelSignatures(Map<String, Kernel> kernels) { this.kernels = kernels; }

    /** Reads every kernels/*.cu below {@code root}. */
    public static KernelSignatures read(Path root) {
        Map<String, Kernel> all = new LinkedHashMap<>();
        try (Stream<Path> files = Files.list(root.resolve("kernels"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".cu")).sorted().toList()) {
                for (Kernel k : parse(Files.readString(f), "kernels/" + f.getFileName())) {
                    if (all.put(k.name(), k) != null) throw new IllegalStateException("kernel " + k.name() + " is defined twice");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new KernelSignatures(all);
    }

    /** Parses the kernels of one source text. */
    public static List<Kernel> parse(String source, String file) {
        String text = source.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("//[^\n]*", " ");
        List<Kernel> out = new ArrayList<>();
        Matcher m = KERNEL.matcher(text);
        while (m.find()) {
            List<Param> ps = new ArrayList<>();
            String list = m.group(2).trim();
            if (!list.isEmpty() && !list.equals("void")) {
                for (String p : list.split(",")) ps.add(param(p.trim()));
            }
            out.add(new Kernel(m.group(1), file, List.copyOf(ps)));
        }
        return out;
    }

    private static Param param(String decl) {
        String d = decl.replaceAll("\\s+", " ").trim();
        Matcher nm = Pattern.compile("([A-Za-z_]\\w*)\\s*$").matcher(d);
        String name = nm.find() ? nm.group(1) : "?";
        String type = d.substring(0, d.length() - name.length()).replace("const", " ").replace("__restrict__", " ")
                .replaceAll("\\s+", " ").trim();
        String kind;
        if (type.contains("*")) kind = "ptr";
        else kind = switch (type) {
            case "int" -> "int";
            case "unsigned", "unsigned int" -> "uint";
            case "long long", "long long int" -> "long long";
            case "unsigned long long", "size_t" -> "unsigned long long";
            case "float" -> "float";
            case "double" -> "double";
            default -> "unknown(" + type + ")";
        };
        return new Param(name, kind);
    }

    public Map<String, Kernel> kernels() { return kernels; }

    public Kernel kernel(String name) { return kernels.get(name); }

    /** Problems of one launch (empty when it matches its kernel's signature). */
    public List<String> check(LaunchTrace.Launch l) {
        List<String> problems = new ArrayList<>();
        Kernel k = kernels.get(l.kernel());
        if (k == null) {
            problems.add(l.kernel() + ": no such kernel in kernels/*.cu");
            return problems;
        }
        if (k.params().size() != l.args().size()) {
            problems.add(l.kernel() + " (" + k.file() + "): " + l.args().size() + " arguments for " + k.params().size() + " parameters "
                    + k.params().stream().map(p -> p.kind() + " " + p.name()).toList());
            return problems;
        }
        for (int i = 0; i < k.params().size(); i++) {
            Param p = k.params().get(i);
            String got = l.kind(i);
            boolean ok = got.equals(p.kind()) || (p.kind().equals("ptr") && got.equals("long long"))
                    || (p.kind().equals("uint") && got.equals("int")) || (p.kind().equals("unsigned long long") && got.equals("long long"));
            if (!ok) problems.add(l.kernel() + " (" + k.file() + "): parameter " + i + " (" + p.name() + ") is " + p.kind() + ", the launch passes "
                    + got + " (" + l.args().get(i) + ")");
        }
        return problems;
    }

    /** The repository root (the folder holding kernels/): -Dfluvia.root, or the nearest parent of the working directory. */
    public static Path repoRoot() {
        String prop = System.getProperty("fluvia.root");
        if (prop != null) return Path.of(prop);
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) if (Files.isDirectory(p.resolve("kernels"))) return p;
        throw new IllegalStateException("cannot find the repository root (a folder with kernels/) above " + Path.of("").toAbsolutePath());
    }
}
