package dev.fluvia;

/** Root of every error Fluvia raises on bad input or bad state. Subclasses name the kind of problem. */
public class FluviaException extends RuntimeException {
    public FluviaException(String message) { super(message); }
    public FluviaException(String message, Throwable cause) { super(message, cause); }

    /** A tensor has the wrong rank or extent for an op; the message names the op and the shapes. */
    public static final class ShapeException extends FluviaException {
        public ShapeException(String message) { super(message); }
    }
    /** A NaN or infinity where a finite value is required (input data, loss, gradient). */
    public static final class NonFiniteException extends FluviaException {
        public NonFiniteException(String message) { super(message); }
    }
    /** A checkpoint file that is truncated, corrupt, or does not describe a model this version can build. */
    public static final class CheckpointException extends FluviaException {
        public CheckpointException(String message) { super(message); }
        public CheckpointException(String message, Throwable cause) { super(message, cause); }
    }
    /** A data file that cannot be read as the format says (bad row, bad header); the message names file and line. */
    public static final class DataFormatException extends FluviaException {
        public DataFormatException(String message) { super(message); }
        public DataFormatException(String message, Throwable cause) { super(message, cause); }
    }
    /** A layer kind, preset, dataset or option value that Fluvia does not know. */
    public static final class UnknownNameException extends FluviaException {
        public UnknownNameException(String message) { super(message); }
    }
    /** A backend (CUDA driver, GPU, cuBLAS) that cannot be used here; the message says which piece is missing. */
    public static final class BackendUnavailableException extends FluviaException {
        public BackendUnavailableException(String message) { super(message); }
        public BackendUnavailableException(String message, Throwable cause) { super(message, cause); }
    }
    /** A device allocation that does not fit; the message gives the requested and the free bytes. */
    public static final class OutOfMemoryException extends FluviaException {
        public OutOfMemoryException(String message) { super(message); }
    }
}
