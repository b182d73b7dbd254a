#!/usr/bin/python3
"""Plain-PyTorch and ONNX peers of the serving benchmarks (java/bench ServeBench): the same weights as Fluvia's checkpoint.

usage: /usr/bin/python3 scripts/bench/serve_peer.py DIR --threads T [--export] [--models realnvp,maf]

DIR holds what `dev.fluvia.bench.ServeModels` wrote: <model>.safetensors, <model>.points.f32, <model>.logp.f32.
For each model this
  1. rebuilds the flow in PyTorch from the checkpoint (its "model" description and tensors; layer kinds standardize,
     affine_coupling, maf), MADE masks folded into the weights once (what an inference deployment does);
  2. checks log p of the 1024 check rows against Fluvia's (relative 1e-4; stops otherwise);
  3. with --export, writes <model>.onnx (opset 13, dynamic batch axis) for ONNX Runtime Java (ServeBench side=onnx);
  4. times, with T intra-op threads (OMP/OpenBLAS/MKL variables set before torch is imported, torch.set_num_threads(T),
     one inter-op thread), under torch.inference_mode():
       single row: --single-warmup untimed calls, then --single-calls timed calls of log_prob on a [1, D] tensor,
                   each with time.perf_counter_ns → p50 / p99 in µs;
       batch:      --batch rows per call; --batch-warmup untimed calls, then --batch-repeats timed → rows/s (median, best).
Prints one line per model:
  torch model=<m> threads=<T> single_p50_us=… single_p99_us=… batch=<B> rows_per_s=… best_rows_per_s=…
"""
import argparse
import json
import math
import os
import statistics
import struct
import sys
import time

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("dir")
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--models", default="realnvp,maf")
ap.add_argument("--export", action="store_true")
ap.add_argument("--single-warmup", type=int, default=3000)
ap.add_argument("--single-calls", type=int, default=20000)
ap.add_argument("--batch", type=int, default=4096)
ap.add_argument("--batch-warmup", type=int, default=10)
ap.add_argument("--batch-repeats", type=int, default=40)
ap.add_argument("--cpu", action="store_true",
                help="time in CPU time of the calling thread (time.thread_time_ns; threads must be 1), as ServeCpuTime does; "
                     "single rows until --single-calls or 3 s of CPU time, after 3 s of CPU-time warm-up each")
args = ap.parse_args()
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)

import torch  # noqa: E402  (after the thread variables)
from torch import nn  # noqa: E402

torch.set_num_threads(args.threads)
torch.set_num_interop_threads(1)
LOG_2PI = math.log(2 * math.pi)


def read_safetensors(path):
    """(metadata, {name: float32 tensor}) of a safetensors file (F32 only: all Fluvia writes)."""
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    data = raw[8 + n:]
    tensors = {}
    for name, t in header.items():
        if t["dtype"] != "F32":
            raise SystemExit(f"{path}: tensor {name} is {t['dtype']}, expected F32")
        a, b = t["data_offsets"]
        flat = torch.frombuffer(bytearray(data[a:b]), dtype=torch.float32)
        tensors[name] = flat.reshape(t["shape"]) if t["shape"] else flat
    return meta, tensors


def mlp(dims, tensors, prefix, masks=None):
    """Linear layers `prefix`w{i} [out, in] / b{i} with ReLU between them; MADE masks multiplied into the weights once."""
    layers = []
    for i in range(len(dims) - 1):
        lin = nn.Linear(dims[i], dims[i + 1])
        w = tensors[f"{prefix}w{i}"]
        if masks is not None:
            w = w * masks[i]
        with torch.no_grad():
            lin.weight.copy_(w)
            lin.bias.copy_(tensors[f"{prefix}b{i}"])
        layers.append(lin)
        if i + 2 < len(dims):
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class Standardize(nn.Module):
    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("mean", mean.clone())
        self.register_buffer("std", std.clone())
        self.register_buffer("ld", -torch.log(std).sum().reshape(1))

    def forward(self, x):
        return (x - self.mean) / self.std, self.ld.expand(x.shape[0])


class AffineCoupling(nn.Module):
    """y_a = x_a, (raw, t) = NN(x_a), log s = c·tanh(raw/c), y_b = x_b·exp(log s) + t, ld = Σ log s (FLOWS.md)."""

    def __init__(self, cfg, tensors, prefix):
        super().__init__()
        if cfg.get("scale", "softclamp") != "softclamp" or cfg["conditioner"].get("activation", "relu") != "relu":
            raise SystemExit(f"affine_coupling: only softclamp scale and relu conditioners are rebuilt here, got {cfg}")
        a, b = cfg["a"], cfg["b"]
        self.k = len(b)
        self.c = float(cfg["clamp"])
        self.register_buffer("ia", torch.tensor(a))
        self.register_buffer("ib", torch.tensor(b))
        self.register_buffer("inv", torch.argsort(torch.tensor(a + b)))
        self.net = mlp(cfg["conditioner"]["dims"], tensors, prefix + "net.")

    def forward(self, x):
        xa, xb = x.index_select(1, self.ia), x.index_select(1, self.ib)
        h = self.net(xa)
        logs = self.c * torch.tanh(h[:, :self.k] / self.c)
        yb = xb * torch.exp(logs) + h[:, self.k:]
        return torch.cat([xa, yb], 1).index_select(1, self.inv), logs.sum(1)


def made_masks(order, degrees, d):
    """FLOWS.md "MADE": m_in(order[t]) = t + 1; hidden k' sees k iff m_k' ≥ m_k (inputs: m_k ≥ m_in(i)); output rows d and
    D + d see hidden k iff m_in(d) > m_k."""
    m_in = torch.empty(d, dtype=torch.long)
    m_in[torch.tensor(order)] = torch.arange(1, d + 1)
    masks, prev = [], m_in
    for deg in degrees:
        cur = torch.tensor(deg)
        masks.append((cur[:, None] >= prev[None, :]).float())
        prev = cur
    out = (m_in[:, None] > prev[None, :]).float()
    masks.append(torch.cat([out, out], 0))
    return masks


class Maf(nn.Module):
    """MAF density direction (FLOWS.md "MAF"): (μ, raw) = MADE(x), α = c·tanh(raw/c), z = (x − μ)·exp(−α), ld = −Σ α."""

    def __init__(self, cfg, tensors, prefix):
        super().__init__()
        if cfg.get("activation", "relu") != "relu":
            raise SystemExit(f"maf: only relu MADEs are rebuilt here, got {cfg}")
        d = cfg["dim"]
        self.d = d
        self.c = float(cfg["clamp"])
        dims = [d] + list(cfg["hidden"]) + [2 * d]
        self.net = mlp(dims, tensors, prefix + "made.", made_masks(cfg["order"], cfg["degrees"], d))

    def forward(self, x):
        h = self.net(x)
        alpha = self.c * torch.tanh(h[:, self.d:] / self.c)
        return (x - h[:, :self.d]) * torch.exp(-alpha), -alpha.sum(1)


class FlowLogProb(nn.Module):
    def __init__(self, layers, d):
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.const = -0.5 * d * LOG_2PI

    def forward(self, x):
        ld = torch.zeros(x.shape[0])
        for layer in self.layers:
            x, l = layer(x)
            ld = ld + l
        return -0.5 * (x * x).sum(1) + self.const + ld


def build(path):
    meta, tensors = read_safetensors(path)
    desc = json.loads(meta["model"])
    if desc["base"]["kind"] != "std_normal":
        raise SystemExit(f"{path}: base {desc['base']['kind']}: only std_normal is rebuilt here")
    (d,) = desc["event_shape"]
    layers = []
    for spec in desc["layers"]:
        prefix, cfg = f"layers.{spec['index']}.", spec["config"]
        if spec["kind"] == "standardize":
            layers.append(Standardize(tensors[prefix + "mean"], tensors[prefix + "std"]))
        elif spec["kind"] == "affine_coupling":
            layers.append(AffineCoupling(cfg, tensors, prefix))
        elif spec["kind"] == "maf":
            layers.append(Maf(cfg, tensors, prefix))
        else:
            raise SystemExit(f"{path}: layer kind {spec['kind']} is not rebuilt here")
    return FlowLogProb(layers, d).eval(), d


def read_f32(path):
    raw = open(path, "rb").read()
    return torch.tensor(struct.unpack("<%df" % (len(raw) // 4), raw))


def main():
    for name in args.models.split(","):
        model, d = build(os.path.join(args.dir, name + ".safetensors"))
        x = read_f32(os.path.join(args.dir, name + ".points.f32")).reshape(-1, d)
        ref = read_f32(os.path.join(args.dir, name + ".logp.f32"))
        with torch.inference_mode():
            lp = model(x)
        err = ((lp - ref).abs() / ref.abs().clamp(min=1)).max().item()
        if not err <= 1e-4:
            raise SystemExit(f"{name}: PyTorch log p differs from Fluvia's by {err:.3g} (relative): not the same model")
        print(f"check model={name} torch_vs_fluvia_max_rel_err={err:.3g}", flush=True)
        if args.export:
            onnx_path = os.path.join(args.dir, name + ".onnx")
            torch.onnx.export(model, x[:1], onnx_path, input_names=["x"], output_names=["logp"],
                              dynamic_axes={"x": {0: "n"}, "logp": {0: "n"}}, opset_version=13)
            print(f"export model={name} onnx={onnx_path}", flush=True)

        if args.cpu:
            cpu_time(name, model, x, d)
            continue
        with torch.inference_mode():
            one = x[:1].clone()
            for _ in range(args.single_warmup):
                model(one)
            ts = []
            for _ in range(args.single_calls):
                t0 = time.perf_counter_ns()
                model(one)
                ts.append(time.perf_counter_ns() - t0)
            ts.sort()
            p50, p99 = ts[len(ts) // 2] / 1e3, ts[int(len(ts) * 0.99)] / 1e3
            xb = torch.randn(args.batch, d, generator=torch.Generator().manual_seed(1)) * 1.2
            for _ in range(args.batch_warmup):
                model(xb)
            bt = []
            for _ in range(args.batch_repeats):
                t0 = time.perf_counter()
                model(xb)
                bt.append(time.perf_counter() - t0)
        print(f"torch model={name} threads={args.threads} single_p50_us={p50:.2f} single_p99_us={p99:.2f} batch={args.batch} "
              f"rows_per_s={args.batch / statistics.median(bt):.0f} best_rows_per_s={args.batch / min(bt):.0f}", flush=True)


def cpu_time(name, model, x, d):
    """Per-call CPU time of this thread (with 1 thread, PyTorch computes on the caller's thread)."""
    if args.threads != 1:
        raise SystemExit("--cpu measures the calling thread: use --threads 1")
    cpu = time.thread_time_ns
    with torch.inference_mode():
        one = x[:1].clone()
        xb = torch.randn(args.batch, d, generator=torch.Generator().manual_seed(1)) * 1.2
        end = cpu() + 3_000_000_000
        while cpu() < end:
            model(one)
        end = cpu() + 3_000_000_000
        while cpu() < end:
            model(xb)
        ts, budget = [], cpu() + 3_000_000_000
        while len(ts) < args.single_calls and cpu() < budget:
            t0 = cpu()
            model(one)
            ts.append(cpu() - t0)
        ts.sort()
        bt = []
        for _ in range(15):
            t0 = cpu()
            model(xb)
            bt.append((cpu() - t0) / 1e9)
    print(f"cpu model={name} side=torch threads=1 single_calls={len(ts)} single_p50_us={ts[len(ts) // 2] / 1e3:.2f} "
          f"single_p99_us={ts[int(len(ts) * 0.99)] / 1e3:.2f} batch={args.batch} rows_per_cpu_s={args.batch / statistics.median(bt):.0f} "
          f"best_rows_per_cpu_s={args.batch / min(bt):.0f}", flush=True)

if __name__ == "__main__":
    sys.exit(main())
