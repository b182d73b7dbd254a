package planted.down.backend.family;

/** Planted for FloorsTest: a family's CPU body using the floors below. */
public class CpuFamily {
    public planted.down.tensor.T used;
}
