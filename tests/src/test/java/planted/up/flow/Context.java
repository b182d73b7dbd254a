package planted.up.flow;

/** Planted for FloorsTest. */
public class Context {}
