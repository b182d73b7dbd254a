#!/usr/bin/python3
"""Merges JMH CSV results (jmh-t<T>.csv) and torch_peer.py output (torch-t<T>.txt) into one Markdown table.

usage: table.py <dir> <threads...>
GFLOP/s counts the GEMM work of one stored-mode step (3 × the conditioners' forward FLOPs) for both modes,
so it is proportional to throughput; recompute mode executes about 5/3 of that.
Fluvia/PyTorch is the throughput ratio (samples/s of Fluvia over samples/s of PyTorch; for GEMM, GFLOP/s over GFLOP/s).
"""
import csv
import sys


def mlp_flops(dims):
    return 2 * sum(dims[i] * dims[i + 1] for i in range(len(dims) - 1))


# benchmark key -> (samples per op, FLOPs per op, torch name)
def describe(row):
    name = row["Benchmark"].rsplit(".", 2)[-2]
    if name == "GemmBench":
        shape = row["Param: shape"]
        dims, tr = shape.split(":")
        m, n, k = (int(v) for v in dims.split("x"))
        key = f"gemm-{m}x{n}x{k}-{tr}"
        return key, key, m, 2.0 * m * n * k
    if name == "CouplingStepBench":
        b = int(row["Param: batch"])
        return f"coupling-d8-256-b{b}", f"coupling-d8-256-b{b}", b, 3.0 * b * mlp_flops([4, 256, 256, 8])
    if name == "RealNvpStepBench":
        b, mode = int(row["Param: batch"]), row["Param: mode"].lower()
        flops = 3.0 * b * 8 * mlp_flops([1, 64, 64, 2])
        return f"realnvp2d-8x64-b{b} ({mode})", f"realnvp2d-8x64-b{b}", b, flops
    raise ValueError(name)


def main():
    out, threads = sys.argv[1], sys.argv[2:]
    print("| benchmark | threads | Fluvia ms/step | ±err (99.9%) | PyTorch ms/step | Fluvia samples/s | PyTorch samples/s "
          "| Fluvia/PyTorch throughput | Fluvia GFLOP/s | PyTorch GFLOP/s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for t in threads:
        torch = {}
        with open(f"{out}/torch-t{t}.txt") as fh:
            for line in fh:
                if line.startswith("torch "):
                    kv = dict(p.split("=", 1) for p in line.split()[1:])
                    torch[kv["bench"]] = kv
        with open(f"{out}/jmh-t{t}.csv") as fh:
            for row in csv.DictReader(fh):
                key, tkey, samples, flops = describe(row)
                ms = float(row["Score"])
                err = float(row["Score Error (99.9%)"]) if row["Score Error (99.9%)"] not in ("", "NaN") else float("nan")
                tk = torch.get(tkey)
                tms = float(tk["ms"]) if tk else float("nan")
                fl_sps, pt_sps = samples / ms * 1e3, samples / tms * 1e3
                print(f"| {key} | {t} | {ms:.2f} | {err:.2f} | {tms:.2f} | {fl_sps:,.0f} | {pt_sps:,.0f} | "
                      f"{fl_sps / pt_sps:.2f} | {flops / ms / 1e6:.1f} | {flops / tms / 1e6:.1f} |")


if __name__ == "__main__":
    main()
