package dev.fluvia.cli;

import dev.fluvia.flow.Presets;
import java.util.Iterator;

/** The {@code --flow} choices, read from {@link Presets#NAMES}, so a new preset needs no edit of the CLI's help text. */
final class FlowPresetNames implements Iterable<String> {
    @Override public Iterator<String> iterator() { return Presets.NAMES.iterator(); }
}
