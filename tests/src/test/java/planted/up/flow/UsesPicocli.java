package planted.up.flow;

/** Planted for FloorsTest: the library → picocli. */
public class UsesPicocli {
    public picocli.CommandLine used;
}
