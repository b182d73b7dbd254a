package dev.fluvia.cuda;

import dev.fluvia.FluviaException;

/** A CUDA library call (driver, cuBLAS, cuRAND) that returned an error status; the message names the call and the status. */
public final class CudaLibraryException extends FluviaException {
    private final int status;

    public CudaLibraryException(String call, int status, String statusName) {
        super(call + " failed: " + statusName + " (" + status + ")");
        this.status = status;
    }

    /** The raw status code the library returned. */
    public int status() { return status; }
}
