package planted.up.transforms;

/** Planted for FloorsTest. */
public class Layer {}
