package planted.down.io;

/** Planted for FloorsTest: an import down the floors, which every rule allows. */
public class Codec {
    public planted.down.transforms.Layer used;
}
