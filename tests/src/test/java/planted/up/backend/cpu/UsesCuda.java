package planted.up.backend.cpu;

/** Planted for FloorsTest: the CPU backend → CUDA. */
public class UsesCuda {
    public planted.up.cuda.Lib used;
}
