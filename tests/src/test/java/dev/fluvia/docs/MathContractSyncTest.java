package dev.fluvia.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * docs/FLOWS.md is the project's copy of the shared math contract, extended in place (issue 11: "extend it in docs and keep
 * the sections it already has"): with every block between a {@code <!-- fluvia extension (not in ../shared/FLOWS.md): begin -->}
 * line and the next {@code <!-- fluvia extension: end -->} line removed, it must be identical to ../shared/FLOWS.md.
 */
class MathContractSyncTest {
    static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("docs/FLOWS.md"))) p = p.getParent();
        return p;
    }

    static final String BEGIN = "<!-- fluvia extension (not in ../shared/FLOWS.md): begin -->\n", END = "<!-- fluvia extension: end -->\n";

    /** The text with every extension block (its marker lines included) removed; an unclosed or nested block fails. */
    static String withoutExtensions(String text) {
        StringBuilder out = new StringBuilder();
        int at = 0;
        while (true) {
            int b = text.indexOf(BEGIN, at);
            if (b < 0) break;
            if (b > 0 && text.charAt(b - 1) != '\n') throw new AssertionError("extension marker not at the start of a line (offset " + b + ")");
            int e = text.indexOf(END, b);
            if (e < 0) throw new AssertionError("docs/FLOWS.md: extension block at offset " + b + " is not closed");
            if (text.indexOf(BEGIN, b + BEGIN.length()) >= 0 && text.indexOf(BEGIN, b + BEGIN.length()) < e)
                throw new AssertionError("docs/FLOWS.md: nested extension block at offset " + b);
            out.append(text, at, b);
            at = e + END.length();
        }
        String rest = text.substring(at);
        if (rest.contains(END)) throw new AssertionError("docs/FLOWS.md: extension end marker without a begin");
        return out.append(rest).toString();
    }

    @Test void extensionBlocksAreStripped() {
        assertEquals("a\nb\n", withoutExtensions("a\n" + BEGIN + "x\n\ny\n" + END + "b\n"));
        assertEquals("a\n", withoutExtensions("a\n"));
    }

    @Test void projectCopyEqualsSharedContract() throws Exception {
        Path root = repoRoot();
        assumeTrue(root != null, "docs/FLOWS.md not found above " + Path.of("").toAbsolutePath());
        Path shared = root.resolveSibling("shared").resolve("FLOWS.md");
        assumeTrue(Files.exists(shared), "no ../shared/FLOWS.md beside the checkout; nothing to compare");
        assertEquals(Files.readString(shared), withoutExtensions(Files.readString(root.resolve("docs/FLOWS.md"))),
                "docs/FLOWS.md, without its marked extensions, differs from ../shared/FLOWS.md: copy the shared contract into docs/"
                        + " (keeping the extension blocks) and update the code that depends on what changed");
    }
}
