package planted.down.transforms;

/** Planted for FloorsTest: an import down the floors, which every rule allows. */
public class Layer {
    public planted.down.nn.Net used;
}
