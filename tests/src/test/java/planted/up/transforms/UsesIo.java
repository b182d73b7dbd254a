package planted.up.transforms;

/** Planted for FloorsTest: transforms → io, closing the io ↔ transforms cycle. */
public class UsesIo {
    public planted.up.io.Codec used;
}
