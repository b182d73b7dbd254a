package dev.fluvia.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.LinkOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
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
        /**
         * Writes the whole content.
         *
         * @param out the temporary file's channel, positioned at 0
         * @throws IOException on a write error (the target is left unchanged)
         */
        void write(FileChannel out) throws IOException;
    }

    /**
     * Replaces {@code target} with what {@code body} writes. IO errors propagate as {@link IOException}; any exception
     * thrown by {@code body} propagates unchanged. In every failure case the target is unchanged and no temporary file remains.
     *
     * @param target the file to replace or create; its directory must exist
     * @param body   what writes the content
     * @throws IOException when the target is refused ({@link #checkTarget}) or the write, sync or rename fails; the message
     *                     names the target and the reason
     */
    public static void write(Path target, Body body) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir == null) throw new IOException(target + ": has no parent directory");
        checkTarget(target);
        removeStaleTemps(dir);
        Path tmp;
        try {
            tmp = createTemp(dir, abs.getFileName().toString());
        } catch (IOException e) {
            throw new IOException(target + ": cannot create a file in " + dir + ": " + reason(e), e);
        }
        boolean done = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                body.write(ch);
                ch.force(true);
            } catch (IOException e) {
                throw new IOException(target + ": cannot write: " + reason(e), e);
            }
            try {
                try {
                    Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
                }
            } catch (IOException e) {
                throw new IOException(target + ": cannot replace the file: " + reason(e), e);
            }
            done = true;
            syncDirectory(dir);
        } finally {
            if (!done) Files.deleteIfExists(tmp);
        }
    }

    /**
     * Refuses a target that must not be replaced: a directory, a symbolic link (renaming over it would replace the
     * link, not the file it points to), or anything that is not a regular file (a device such as /dev/null, a FIFO,
     * a socket). A target that does not exist yet is fine.
     *
     * @param target the path to check (links are not followed)
     * @throws IOException naming why the target is refused, or when its attributes cannot be read
     */
    public static void checkTarget(Path target) throws IOException {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(target, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (java.nio.file.NoSuchFileException e) {
            return;
        }
        if (a.isSymbolicLink())
            throw new IOException(target + ": is a symbolic link; refusing to replace it (give the path of the file it points to)");
        if (a.isDirectory()) throw new IOException(target + ": is a directory");
        if (!a.isRegularFile())
            throw new IOException(target + ": is not a regular file (a device, FIFO or socket); refusing to replace it");
    }

    /** Temporary files of our own naming ({@code .<name>.<digits>.tmp}) older than this are left over from killed writes. */
    static final long STALE_TEMP_MILLIS = 60_000;
    private static final Pattern TEMP_NAME = Pattern.compile("\\..+\\.[0-9]{6,20}\\.tmp");

    /**
     * Creates the temporary file with the default permissions (the process umask applies, as for any ordinary tool;
     * {@code Files.createTempFile} would force 0600).
     */
    private static Path createTemp(Path dir, String name) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Path tmp = dir.resolve("." + name + "." + Long.toUnsignedString(ThreadLocalRandom.current().nextLong() >>> 1) + ".tmp");
            try {
                return Files.createFile(tmp);
            } catch (FileAlreadyExistsException e) {
                if (attempt > 100) throw e;
            }
        }
    }

    /** Deletes temporary files of our own naming in {@code dir} that no write has touched for {@link #STALE_TEMP_MILLIS}. */
    static void removeStaleTemps(Path dir) {
        long cutoff = System.currentTimeMillis() - STALE_TEMP_MILLIS;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, ".*.tmp")) {
            for (Path p : ds) {
                if (!TEMP_NAME.matcher(p.getFileName().toString()).matches()) continue;
                try {
                    BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                    if (a.isRegularFile() && a.lastModifiedTime().toMillis() < cutoff) Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // another process may have removed or renamed it meanwhile
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // an unreadable directory: the write itself will report the problem
        }
    }

    /**
     * The operating system's reason for an IO error, without Java class names.
     *
     * @param e the error
     * @return "permission denied", "no such file or directory", the file system's reason, or the message
     */
    public static String reason(IOException e) {
        if (e instanceof java.nio.file.AccessDeniedException) return "permission denied";
        if (e instanceof java.nio.file.NoSuchFileException) return "no such file or directory";
        if (e instanceof java.nio.file.NotDirectoryException) return "not a directory";
        if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) return f.getReason();
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
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
