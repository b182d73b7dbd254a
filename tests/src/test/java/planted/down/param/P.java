package planted.down.param;

/** Planted for FloorsTest: an import down the floors, which every rule allows. */
public class P {
    public planted.down.backend.B used;
}
