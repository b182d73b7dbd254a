package dev.fluvia.train;

import dev.fluvia.FluviaException;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * A prefetching batch loader: a daemon thread assembles host batches a few steps ahead into a bounded queue while the
 * training thread computes.
 *
 * <p>Order is a pure function of {@code (seed, epoch, position)}: every epoch visits the training rows in the permutation
 * {@link #epochOrder(int, long, int)}, cut into consecutive batches; a loader started at {@code (epoch, batch)} produces exactly
 * the batches an uninterrupted loader would have produced from there on (this is what makes resume bit-identical).
 * With {@code dropLast} the final short batch of each epoch is skipped; otherwise it is produced with fewer rows.
 *
 * <p>The stream is endless (epoch after epoch); the consumer decides when to stop and then {@link #close()}s the loader,
 * which interrupts and joins the thread. An exception on the loader thread (including one from {@link BatchUploader#stage})
 * is rethrown by the next {@link #next()}.
 */
public final class Loader implements AutoCloseable {

    private final TrainData data;
    private final int batchSize;
    private final boolean dropLast;
    private final long seed;
    private final BatchUploader uploader;
    private final BlockingQueue<Object> queue;
    private final Thread thread;
    private volatile boolean closed;
    private boolean failed;

    /**
     * Starts the loader thread, which fills the queue from {@code (startEpoch, startBatch)} on.
     *
     * @param data       the training rows (validation rows are not used)
     * @param batchSize  rows per batch (≥ 1)
     * @param dropLast   skip each epoch's final short batch
     * @param seed       the seed of the epochs' permutations
     * @param startEpoch the epoch of the first batch produced
     * @param startBatch the position within that epoch (0-based batch number) of the first batch produced
     * @param prefetch   how many batches may wait in the queue (≥ 1)
     * @param uploader   whose {@link BatchUploader#stage} runs on the loader thread for each batch
     * @throws InvalidConfigException when the batch size or prefetch is below 1, the start position is outside an epoch, or
     *                                {@code dropLast} with more rows per batch than there are training rows
     */
    public Loader(TrainData data, int batchSize, boolean dropLast, long seed, int startEpoch, int startBatch, int prefetch, BatchUploader uploader) {
        if (batchSize < 1) throw new InvalidConfigException("Loader: batch size must be >= 1, got " + batchSize);
        if (prefetch < 1) throw new InvalidConfigException("Loader: prefetch must be >= 1, got " + prefetch);
        if (dropLast && batchSize > data.nTrain())
            throw new InvalidConfigException("Loader: batch size " + batchSize + " is larger than the " + data.nTrain()
                    + " training rows and the last short batch is dropped, so an epoch would have no batch");
        this.data = data;
        this.batchSize = batchSize;
        this.dropLast = dropLast;
        this.seed = seed;
        this.uploader = uploader;
        int per = batchesPerEpoch(data.nTrain(), batchSize, dropLast);
        if (startEpoch < 0 || startBatch < 0 || startBatch >= per)
            throw new InvalidConfigException("Loader: start position epoch " + startEpoch + ", batch " + startBatch
                    + " is outside an epoch of " + per + " batches");
        this.queue = new ArrayBlockingQueue<>(prefetch);
        this.thread = Thread.ofPlatform().daemon().name("fluvia-loader").unstarted(() -> produce(startEpoch, startBatch));
        this.thread.start();
    }

    /**
     * Batches in one epoch.
     *
     * @param nTrain    training rows
     * @param batchSize rows per batch
     * @param dropLast  whether the final short batch is skipped
     * @return {@code ⌊nTrain/batchSize⌋} with {@code dropLast}, else {@code ⌈nTrain/batchSize⌉}
     */
    public static int batchesPerEpoch(int nTrain, int batchSize, boolean dropLast) {
        return dropLast ? nTrain / batchSize : (nTrain + batchSize - 1) / batchSize;
    }

    /** {@return the batches in one epoch of this loader} */
    public int batchesPerEpoch() { return batchesPerEpoch(data.nTrain(), batchSize, dropLast); }

    /**
     * The row order of an epoch: a Fisher–Yates shuffle of {@code 0..n−1} with a generator seeded from {@code (seed, epoch)}.
     *
     * @param n     the number of rows
     * @param seed  the loader's seed
     * @param epoch the epoch (0-based)
     * @return a permutation of {@code 0..n−1}, the same for the same arguments
     */
    public static int[] epochOrder(int n, long seed, int epoch) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        SplittableRandom r = new SplittableRandom(mix(seed, epoch));
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i]; p[i] = p[j]; p[j] = t;
        }
        return p;
    }

    private static long mix(long seed, int epoch) {
        long z = seed * 0x9E3779B97F4A7C15L + (epoch + 1L) * 0xC2B2AE3D27D4EB4FL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private void produce(int epoch, int batch) {
        try {
            int per = batchesPerEpoch();
            int dim = data.dim();
            float[] src = data.train();
            while (!closed) {
                int[] order = epochOrder(data.nTrain(), seed, epoch);
                for (int b = batch; b < per && !closed; b++) {
                    int from = b * batchSize, n = Math.min(batchSize, data.nTrain() - from);
                    float[] rows = new float[n * dim];
                    for (int r = 0; r < n; r++) System.arraycopy(src, order[from + r] * dim, rows, r * dim, dim);
                    HostBatch hb = uploader.stage(new HostBatch(rows, n, dim, epoch, b, b == per - 1, null));
                    queue.put(hb);
                }
                batch = 0;
                epoch++;
            }
        } catch (InterruptedException e) {
            // close() asked us to stop
        } catch (Throwable t) {
            try { queue.put(t); } catch (InterruptedException ignored) { /* closing anyway */ }
        }
    }

    /**
     * The next batch, waiting for the loader thread if it is behind.
     *
     * @return the next batch in order
     * @throws IllegalStateException after {@link #close()}
     * @throws TrainingInterruptedException when the calling thread is interrupted while waiting
     * @throws dev.fluvia.FluviaException when the loader thread failed (its error, or one wrapping it)
     */
    public HostBatch next() {
        if (closed) throw new IllegalStateException("Loader: next() after close()");
        if (failed) throw new FluviaException("Loader: the loader thread has already failed");
        Object o;
        try {
            o = queue.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TrainingInterruptedException("interrupted while waiting for the next training batch", e);
        }
        if (o instanceof HostBatch hb) return hb;
        failed = true;
        if (o instanceof FluviaException fe) throw fe;
        if (o instanceof Throwable t) throw new FluviaException("Loader: the loader thread failed: " + t, t);
        throw new IllegalStateException("Loader: unexpected queue item " + o);
    }

    /** Stops and joins the loader thread; batches still queued are dropped. Idempotent. */
    @Override public void close() {
        if (closed) return;
        closed = true;
        thread.interrupt();
        queue.clear();
        boolean interrupted = false;
        while (thread.isAlive()) {
            try { thread.join(); } catch (InterruptedException e) { interrupted = true; }
        }
        if (interrupted) Thread.currentThread().interrupt();
        queue.clear();
    }
}
