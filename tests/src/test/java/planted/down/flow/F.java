package planted.down.flow;

/** Planted for FloorsTest: an import down the floors, which every rule allows. */
public class F {
    public planted.down.transforms.Layer used;
}
