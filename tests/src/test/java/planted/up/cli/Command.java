package planted.up.cli;

/** Planted for FloorsTest. */
public class Command {}
