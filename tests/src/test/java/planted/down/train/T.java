package planted.down.train;

/** Planted for FloorsTest: an import down the floors, which every rule allows. */
public class T {
    public planted.down.flow.F used;
}
