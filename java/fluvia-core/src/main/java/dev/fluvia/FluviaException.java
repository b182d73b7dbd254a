package dev.fluvia;

/** Root of every error Fluvia raises on bad input or bad state. Subclasses name the kind of problem. */
public class FluviaException extends RuntimeException {
    /**
     * Creates the exception.
     *
     * @param message what went wrong, naming the input
     */
    public FluviaException(String message) { super(message); }
    /**
     * Creates the exception with its cause.
     *
     * @param message what went wrong, naming the input
     * @param cause   the underlying error
     */
    public FluviaException(String message, Throwable cause) { super(message, cause); }

    /** A tensor has the wrong rank or extent for an op; the message names the op and the shapes. */
    public static final class ShapeException extends FluviaException {
        /**
         * Creates the exception.
         *
         * @param message what went wrong, naming the input
         */
        public ShapeException(String message) { super(message); }
    }
    /** A NaN or infinity where a finite value is required (input data, loss, gradient). */
    public static final class NonFiniteException extends FluviaException {
        /**
         * Creates the exception.
         *
         * @param message what went wrong, naming the input
         */
        public NonFiniteException(String message) { super(message); }
    }
    /** A checkpoint file that is truncated, corrupt, or does not describe a model this version can build. */
    public static final class CheckpointException extends FluviaException {
        /**
         * Creates the exception.
         *
         * @param message what went wrong, naming the input
         */
        public CheckpointException(String message) { super(message); }
        /**
         * Creates the exception with its cause.
         *
         * @param message what went wrong, naming the input
         * @param cause   the underlying error
         */
        public CheckpointException(String message, Throwable cause) { super(message, cause); }
    }
    /** A data file that cannot be read as the format says (bad row, bad header); the message names file and line. */
    public static final class DataFormatException extends FluviaException {
        /**
         * Creates the exception.
         *
         * @param message what went wrong, naming the input
         */
        public DataFormatException(String message) { super(message); }
        /**
         * Creates the exception with its cause.
         *
         * @param message what went wrong, naming the input
         * @param cause   the underlying error
         */
        public DataFormatException(String message, Throwable cause) { super(message, cause); }
    }
    /** A layer kind, preset, dataset or option value that Fluvia does not know. */
    public static final class UnknownNameException extends FluviaException {
        /**
         * Creates the exception.
         *
         * @param message what went wrong, naming the input
         */
        public UnknownNameException(String message) { super(message); }
    }
    /** A backend (CUDA driver, GPU, cuBLAS) that cannot be used here; the message says which piece is missing. */
    public static final class BackendUnavailableException extends FluviaException {
        /**
         * Creates the exception.
         *
         * @param message what went wrong, naming the input
         */
        public BackendUnavailableException(String message) { super(message); }
        /**
         * Creates the exception with its cause.
         *
         * @param message what went wrong, naming the input
         * @param cause   the underlying error
         */
        public BackendUnavailableException(String message, Throwable cause) { super(message, cause); }
    }
    /** A device allocation that does not fit; the message gives the requested and the free bytes. */
    public static final class OutOfMemoryException extends FluviaException {
        /**
         * Creates the exception.
         *
         * @param message what went wrong, naming the input
         */
        public OutOfMemoryException(String message) { super(message); }
    }
}
