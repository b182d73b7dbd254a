// Loads JCuda's own native library (libJCudaDriver) against the emulator's libcuda.so.1 and drives a few calls the
// way Fluvia's CUDA backend does. Run by jcuda_smoke.sh (java single-file source launch), not by the Maven build.
import static jcuda.driver.JCudaDriver.*;

import jcuda.Pointer;
import jcuda.Sizeof;
import jcuda.driver.*;

public class JCudaSmoke {
    static void check(boolean ok, String what) {
        if (!ok) { System.err.println("FAIL: " + what); System.exit(1); }
        System.out.println("ok: " + what);
    }

    public static void main(String[] args) {
        setExceptionsEnabled(false);
        check(cuInit(0) == CUresult.CUDA_SUCCESS, "cuInit");
        int[] n = {0};
        check(cuDeviceGetCount(n) == 0 && n[0] == 1, "cuDeviceGetCount = 1");
        CUdevice dev = new CUdevice();
        check(cuDeviceGet(dev, 0) == 0, "cuDeviceGet");
        byte[] name = new byte[256];
        check(cuDeviceGetName(name, name.length, dev) == 0, "cuDeviceGetName: " + new String(name).trim());
        int[] v = {0};
        cuDeviceGetAttribute(v, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev);
        check(v[0] == 9, "compute capability major 9");
        CUdeviceptr p = new CUdeviceptr();
        check(cuMemAlloc(p, 1024) == CUresult.CUDA_ERROR_INVALID_CONTEXT, "cuMemAlloc without a current context: INVALID_CONTEXT");
        CUcontext ctx = new CUcontext();
        check(cuDevicePrimaryCtxRetain(ctx, dev) == 0, "cuDevicePrimaryCtxRetain");
        check(cuCtxSetCurrent(ctx) == 0, "cuCtxSetCurrent");
        check(cuMemAlloc(p, 256 * Sizeof.FLOAT) == 0, "cuMemAlloc");
        float[] h = new float[256];
        for (int i = 0; i < h.length; i++) h[i] = i * 0.5f;
        check(cuMemcpyHtoD(p, Pointer.to(h), 256 * Sizeof.FLOAT) == 0, "cuMemcpyHtoD");
        float[] back = new float[256];
        check(cuMemcpyDtoH(Pointer.to(back), p, 256 * Sizeof.FLOAT) == 0, "cuMemcpyDtoH");
        check(java.util.Arrays.equals(h, back), "round trip");
        check(cuMemcpyHtoD(p, Pointer.to(h), 257 * Sizeof.FLOAT) == CUresult.CUDA_ERROR_INVALID_VALUE, "copy past the allocation rejected");
        CUstream s = new CUstream();
        check(cuStreamCreate(s, CUstream_flags.CU_STREAM_NON_BLOCKING) == 0, "cuStreamCreate");
        check(cuMemsetD32Async(p, Float.floatToIntBits(3f), 256, s) == 0 && cuStreamSynchronize(s) == 0, "cuMemsetD32Async + sync");
        cuMemcpyDtoH(Pointer.to(back), p, 256 * Sizeof.FLOAT);
        check(back[255] == 3f, "memset value");
        CUmodule m = new CUmodule();
        check(cuModuleLoadData(m, "not an image\0".getBytes()) == CUresult.CUDA_ERROR_INVALID_IMAGE, "bad image: INVALID_IMAGE");
        check(cuModuleLoadData(m, "FLUVIA-EMU-MODULE\n\0".getBytes()) == 0, "cuModuleLoadData (emulator module)");
        CUfunction f = new CUfunction();
        check(cuModuleGetFunction(f, m, "noSuchKernel") == CUresult.CUDA_ERROR_NOT_FOUND, "absent kernel: NOT_FOUND");
        String[] sn = {null};
        check(cuGetErrorName(CUresult.CUDA_ERROR_INVALID_CONTEXT, sn) == 0 && "CUDA_ERROR_INVALID_CONTEXT".equals(sn[0]), "cuGetErrorName");
        check(cuArray3DCreate(new CUarray(), new CUDA_ARRAY3D_DESCRIPTOR()) == CUresult.CUDA_ERROR_NOT_SUPPORTED, "a stub: NOT_SUPPORTED");
        check(cuStreamDestroy(s) == 0 && cuMemFree(p) == 0, "cuStreamDestroy, cuMemFree");
        check(cuDevicePrimaryCtxRelease(dev) == 0, "cuDevicePrimaryCtxRelease");
        System.out.println("JCudaSmoke: all passed");
    }
}
