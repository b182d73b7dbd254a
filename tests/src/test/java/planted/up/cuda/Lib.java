package planted.up.cuda;

/** Planted for FloorsTest. */
public class Lib {}
