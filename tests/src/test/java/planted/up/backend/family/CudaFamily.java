package planted.up.backend.family;

/** Planted for FloorsTest: an op family's CUDA body (used by CpuFamily, which the cpu-cuda rule forbids). */
public class CudaFamily {}
