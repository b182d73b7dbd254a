package planted.up.train;

/** Planted for FloorsTest: below the CLI → cli. */
public class UsesCli {
    public planted.up.cli.Command used;
}
