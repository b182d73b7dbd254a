package planted.down.nn;

/** Planted for FloorsTest: an import down the floors, which every rule allows. */
public class Net {
    public planted.down.param.P used;
}
