package dev.fluvia.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/FLOWS.md is the project's copy of the shared math contract; it must stay identical to ../shared/FLOWS.md. */
class MathContractSyncTest {
    static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("docs/FLOWS.md"))) p = p.getParent();
        return p;
    }

    @Test void projectCopyEqualsSharedContract() throws Exception {
        Path root = repoRoot();
        assumeTrue(root != null, "docs/FLOWS.md not found above " + Path.of("").toAbsolutePath());
        Path shared = root.resolveSibling("shared").resolve("FLOWS.md");
        assumeTrue(Files.exists(shared), "no ../shared/FLOWS.md beside the checkout; nothing to compare");
        assertEquals(Files.readString(shared), Files.readString(root.resolve("docs/FLOWS.md")),
                "docs/FLOWS.md differs from ../shared/FLOWS.md: copy the shared contract into docs/ and update the code that depends on what changed");
    }
}
