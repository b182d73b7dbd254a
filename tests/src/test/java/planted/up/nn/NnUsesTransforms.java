package planted.up.nn;

/** Planted for FloorsTest: nn → transforms. */
public class NnUsesTransforms {
    public planted.up.transforms.Layer used;
}
