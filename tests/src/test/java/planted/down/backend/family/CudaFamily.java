package planted.down.backend.family;

/** Planted for FloorsTest: a family's CUDA body may use its CPU body and the contract (the rules allow it). */
public class CudaFamily {
    public CpuFamily used;
}
