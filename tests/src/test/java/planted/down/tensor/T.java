package planted.down.tensor;

/** Planted for FloorsTest. */
public class T {}
