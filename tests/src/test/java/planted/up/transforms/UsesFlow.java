package planted.up.transforms;

/** Planted for FloorsTest: transforms → flow (what Split → LatentContext does today). */
public class UsesFlow {
    public planted.up.flow.Context used;
}
