package planted.up.backend.family;

/** Planted for FloorsTest: an op family's CPU body → the family's CUDA body. */
public class CpuFamily {
    public CudaFamily used;
}
