package planted.up.io;

/** Planted for FloorsTest: io → transforms (allowed alone; a cycle with UsesIo). */
public class Codec {
    public planted.up.transforms.Layer used;
}
