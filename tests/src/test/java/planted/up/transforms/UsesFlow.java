package planted.up.transforms;

/** Planted for FloorsTest: transforms → flow (what the multi-scale split did through a ThreadLocal before issue 9). */
public class UsesFlow {
    public planted.up.flow.Context used;
}
