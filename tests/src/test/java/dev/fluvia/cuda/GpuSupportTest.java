package dev.fluvia.cuda;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Which surefire group expressions count as "the gpu tests were asked for" (then a missing GPU fails them). */
class GpuSupportTest {
    @Test void groupExpressions() {
        for (String g : new String[] {"gpu", " gpu ", "gpu,slow", "slow,gpu", "gpu | slow", "(gpu)"})
            assertTrue(GpuSupport.groupsSelectGpu(g), g);
        for (String g : new String[] {"", "slow", "!gpu", "gpus", "nogpu", "!gpu & slow"})
            assertFalse(GpuSupport.groupsSelectGpu(g), g);
        assertFalse(GpuSupport.groupsSelectGpu(null));
    }
}
