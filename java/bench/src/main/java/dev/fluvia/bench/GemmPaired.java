package dev.fluvia.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.SplittableRandom;

/**
 * Two (or more) builds of Fluvia's Java GEMM compared in one JVM, call by call: each benchmark jar is loaded in a class
 * loader of its own (its own {@code CpuBackend}, kernel and JIT-compiled code), and every round calls each build once, in
 * a random order, on its own copy of the same inputs, timing the CPU time of the calling thread. On a machine shared with
 * other work, separate JVM runs drift with the load by more than a few per cent; adjacent calls see the same load, so the
 * per-round ratio to the first build (median and quartiles) resolves small differences. 1 thread.
 *
 * <pre>java $FLUVIA_JVM_FLAGS -cp java/bench/target/fluvia-bench.jar dev.fluvia.bench.GemmPaired calls warmup product base.jar new.jar...</pre>
 *
 * product: NT, NN or TN (GemmBench's three 4096×256×256 products), or {@code op,m,n,k} with op one of NN, NT, TN, TT.
 */
public final class GemmPaired {
    private GemmPaired() {}

    public static void main(String[] args) throws Exception {
        int calls = Integer.parseInt(args[0]), warm = Integer.parseInt(args[1]);
        String product = args[2];
        String[] jars = Arrays.copyOfRange(args, 3, args.length);
        int m = 4096, n = 256, k = 256;
        String op = product;
        if (product.equals("TN")) { m = 256; k = 4096; }
        else if (product.contains(",")) {
            String[] q = product.split(",");
            op = q[0];
            m = Integer.parseInt(q[1]); n = Integer.parseInt(q[2]); k = Integer.parseInt(q[3]);
        }
        boolean ta = op.charAt(0) == 'T', tb = op.charAt(1) == 'T';
        int builds = jars.length;
        Object[] dense = new Object[builds], a = new Object[builds], b = new Object[builds], c = new Object[builds];
        AutoCloseable[] backends = new AutoCloseable[builds];
        Method[] gemm = new Method[builds];
        for (int v = 0; v < builds; v++) {
            ClassLoader cl = new URLClassLoader(new URL[] {Path.of(jars[v]).toUri().toURL()}, ClassLoader.getPlatformClassLoader());
            Class<?> cb = cl.loadClass("dev.fluvia.backend.cpu.CpuBackend"), tc = cl.loadClass("dev.fluvia.tensor.Tensor");
            Object be = cb.getConstructor(int.class, boolean.class, String.class).newInstance(1, true, "java");
            backends[v] = (AutoCloseable) be;
            Method fromHost = cb.getMethod("fromHost", float[].class, int[].class), alloc = cb.getMethod("alloc", int[].class);
            SplittableRandom r = new SplittableRandom(1);
            a[v] = fromHost.invoke(be, rand(r, m * k), ta ? new int[] {k, m} : new int[] {m, k});
            b[v] = fromHost.invoke(be, rand(r, k * n), tb ? new int[] {n, k} : new int[] {k, n});
            c[v] = alloc.invoke(be, (Object) new int[] {m, n});
            dense[v] = cb.getMethod("dense").invoke(be);
            gemm[v] = dense[v].getClass().getMethod("gemm", boolean.class, boolean.class, float.class, tc, tc, float.class, tc);
            gemm[v].setAccessible(true);
        }
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        double[][] t = new double[builds][calls];
        Random order = new Random(11);
        for (int i = -warm; i < calls; i++) {
            int first = order.nextInt(builds);
            for (int q = 0; q < builds; q++) {
                int v = (first + q) % builds;
                long c0 = mx.getCurrentThreadCpuTime();
                gemm[v].invoke(dense[v], ta, tb, 1f, a[v], b[v], 0f, c[v]);
                long c1 = mx.getCurrentThreadCpuTime();
                if (i >= 0) t[v][i] = (c1 - c0) / 1e6;
            }
        }
        double flop = 2.0 * m * n * k;
        for (int v = 0; v < builds; v++) {
            double[] s = t[v].clone(), ratio = new double[calls];
            Arrays.sort(s);
            for (int i = 0; i < calls; i++) ratio[i] = t[v][i] / t[0][i];
            Arrays.sort(ratio);
            System.out.printf("%s %dx%dx%d %s: cpu median %.3f ms (%.0f GFLOP/s) best %.3f ms (%.0f GFLOP/s); per-round ratio to %s: median %.3f [quartiles %.3f, %.3f]%n",
                    op, m, n, k, Path.of(jars[v]).getFileName(), s[calls / 2], flop / s[calls / 2] / 1e6, s[0], flop / s[0] / 1e6,
                    Path.of(jars[0]).getFileName(), ratio[calls / 2], ratio[calls / 4], ratio[3 * calls / 4]);
        }
        for (AutoCloseable be : backends) be.close();
    }

    private static float[] rand(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextDouble() - 0.5);
        return v;
    }
}
