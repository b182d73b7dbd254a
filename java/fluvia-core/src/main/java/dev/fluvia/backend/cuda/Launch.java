package dev.fluvia.backend.cuda;

/**
 * The geometry of one kernel launch, the leading parameter of every typed launcher: grid (x, y), threads per block,
 * dynamic shared memory in bytes. {@link #NONE} launches nothing (an element-wise or row kernel over zero elements).
 */
public record Launch(int gridX, int gridY, int block, int sharedBytes) {
    /** Nothing to launch (compared by identity). */
    public static final Launch NONE = new Launch(0, 0, 0, 0);
}
