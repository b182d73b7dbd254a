package planted.down.backend;

/** Planted for FloorsTest: an import down the floors, which every rule allows. */
public class B {
    public planted.down.tensor.T used;
}
