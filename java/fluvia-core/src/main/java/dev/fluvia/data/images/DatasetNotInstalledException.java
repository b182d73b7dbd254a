package dev.fluvia.data.images;

import dev.fluvia.FluviaException;

/**
 * A data set whose files are not on this machine. The message names the data set, where it was looked for, the package
 * that provides it and the command that installs it ({@code scripts/install-data.sh}); Fluvia never downloads data at
 * run time.
 */
public final class DatasetNotInstalledException extends FluviaException {
    /**
     * A missing data set.
     *
     * @param message names the data set, the places looked at, the providing package and the install command
     */
    public DatasetNotInstalledException(String message) { super(message); }
}
