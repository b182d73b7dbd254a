package dev.fluvia.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Crash-safe file replacement: the content goes to a temporary file in the target's directory, is forced to disk,
 * and is renamed over the target in one atomic step. A reader sees either the old file or the complete new one;
 * if writing fails the temporary file is removed and the old file is left untouched.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** Writes the file's content to an open channel. */
    @FunctionalInterface
    public interface Body {
        void write(FileChannel out) throws IOException;
    }

    /**
     * Replaces {@code target} with what {@code body} writes. IO errors propagate as {@link IOException}; any exception
     * thrown by {@code body} propagates unchanged. In every failure case the target is unchanged and no temporary file remains.
     */
    public static void write(Path target, Body body) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir == null) throw new IOException(target + ": has no parent directory");
        if (Files.isDirectory(abs)) throw new IOException(target + ": is a directory");
        Path tmp = Files.createTempFile(dir, "." + abs.getFileName() + ".", ".tmp");
        boolean done = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                body.write(ch);
                ch.force(true);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            done = true;
            syncDirectory(dir);
        } finally {
            if (!done) Files.deleteIfExists(tmp);
        }
    }

    /** Makes the rename durable where the platform allows opening a directory (Linux, macOS); silently skipped elsewhere. */
    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // not supported on this platform; the rename itself is still atomic
        }
    }
}
