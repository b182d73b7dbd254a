package planted.up.backend;

/** Planted for FloorsTest: backend → transforms. */
public class UsesTransforms {
    public planted.up.transforms.Layer used;
}
