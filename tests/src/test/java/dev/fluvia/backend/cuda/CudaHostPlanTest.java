package dev.fluvia.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.FluviaException.ShapeException;
import dev.fluvia.backend.OpChecks;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The host-side plans of the CUDA backend, checked without a GPU: copies in bounded pieces (tensors over 2 GiB), the staging
 * buffer's cap, launches cut into groups of at most 65,535 chunk rows (gridDim.y), and the host-array limit of toHost.
 */
class CudaHostPlanTest {

    @Test void copiesRunInBoundedPiecesWithLongOffsets() {
        long max = CudaTransfers.STAGING_MAX_BYTES;
        for (long total : new long[] {1, 4, max - 4, max, max + 4, 3 * max, (1L << 31) + 12, 12L << 30}) {
            List<long[]> pieces = new ArrayList<>();
            CudaTransfers.inPieces(total, max, (off, len) -> pieces.add(new long[] {off, len}));
            long next = 0;
            for (long[] p : pieces) {
                assertEquals(next, p[0], "pieces are consecutive");
                assertTrue(p[1] > 0 && p[1] <= max, "piece of " + p[1] + " bytes");
                next += p[1];
            }
            assertEquals(total, next, "pieces cover " + total + " bytes");
            assertEquals((total + max - 1) / max, pieces.size());
        }
        List<long[]> none = new ArrayList<>();
        CudaTransfers.inPieces(0, max, (off, len) -> none.add(new long[] {off, len}));
        assertTrue(none.isEmpty());
    }

    @Test void stagingBufferIsCapped() {
        assertEquals(64L << 20, CudaTransfers.STAGING_MAX_BYTES);
        assertEquals(1L << 20, CudaTransfers.stagingSize(4));
        assertEquals(4L << 20, CudaTransfers.stagingSize((3L << 20) + 1));
        assertEquals(CudaTransfers.STAGING_MAX_BYTES, CudaTransfers.stagingSize(CudaTransfers.STAGING_MAX_BYTES));
        assertEquals(CudaTransfers.STAGING_MAX_BYTES, CudaTransfers.stagingSize(CudaTransfers.STAGING_MAX_BYTES - 1));
    }

    record Group(int first, int count) {}

    static List<Group> groups(int chunks) {
        List<Group> g = new ArrayList<>();
        CudaContext.inChunkGroups(chunks, CudaContext.MAX_GRID_Y, (c0, cnt) -> g.add(new Group(c0, cnt)));
        return g;
    }

    @Test void launchesStayWithinGridY() {
        assertEquals(65_535, CudaContext.MAX_GRID_Y);
        // batches that fit are one launch from chunk 0, as before
        assertEquals(List.of(new Group(0, 1)), groups(1));
        assertEquals(List.of(new Group(0, 65_535)), groups(65_535));
        int n = 4_194_240;  // 65,535 chunks of 64 rows: the largest single launch
        assertEquals(n, CudaContext.groupRows(n, 0, 65_535));
        // one row more needs a second launch over the last row
        int big = n + 1, ch = (big + 63) / 64;
        List<Group> g = groups(ch);
        assertEquals(List.of(new Group(0, 65_535), new Group(65_535, 1)), g);
        assertEquals(n, CudaContext.groupRows(big, 0, 65_535));
        assertEquals(1, CudaContext.groupRows(big, 65_535, 1));
        // a large batch: groups in order, contiguous, each within the limit, rows adding up to n
        int huge = 20_000_003, hc = (huge + 63) / 64;
        long rows = 0;
        int next = 0;
        for (Group x : groups(hc)) {
            assertEquals(next, x.first());
            assertTrue(x.count() >= 1 && x.count() <= 65_535);
            rows += CudaContext.groupRows(huge, x.first(), x.count());
            next += x.count();
        }
        assertEquals(hc, next);
        assertEquals(huge, rows);
        assertEquals(0, CudaContext.groupRows(0, 0, 1));  // empty batch: one chunk, no rows (as before)
    }

    /** A tensor with a shape but no data: only its element count is looked at. */
    static Tensor shaped(int... shape) { return new Tensor(shape) {}; }

    @Test void toHostRejectsTensorsTooLargeForAJavaArray() {
        Tensor big = shaped(65_536, 32_768);  // 2^31 elements
        ShapeException e = assertThrows(ShapeException.class, () -> OpChecks.toHost(big));
        assertTrue(e.getMessage().contains("toHost") && e.getMessage().contains("2147483648"), e.getMessage());
        try (CpuBackend be = new CpuBackend(1)) {
            assertThrows(ShapeException.class, () -> be.toHost(big));
        }
        assertEquals(6, OpChecks.toHost(shaped(2, 3)));
    }

    @Test void convExtentsDoNotWrap() {
        assertEquals(1 << 20, dev.fluvia.backend.conv.CudaConv.gemmExtent("H·W", 1L << 20));
        assertThrows(ShapeException.class, () -> dev.fluvia.backend.conv.CudaConv.gemmExtent("H·W", 65_536L * 65_536L));
    }
}
