package planted.down.cli;

/** Planted for FloorsTest: an import down the floors, which every rule allows. */
public class Command {
    public planted.down.train.T used;
}
