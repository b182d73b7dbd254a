#!/usr/bin/python3
"""Merges JMH JSON results (jmh-<group>-t<T>.json) and torch_peer.py output (torch-<group>-t<T>.txt) into one Markdown table.

usage: table.py <dir> <threads...>

Two estimates per side, because the benchmark machine is shared:
  typical — the median of JMH's measurement iterations / PyTorch's median step;
  best    — JMH's fastest measurement iteration / PyTorch's fastest step (the least-disturbed run).
Fluvia/PyTorch is the throughput ratio (samples/s over samples/s, equivalently PyTorch time over Fluvia time), for both.
GFLOP/s counts the GEMM work of one stored-mode step (3 × the conditioners' forward FLOPs) for both memory modes,
so it is proportional to throughput; recompute mode executes about 5/3 of that (more for MAF, whose inverse is the
sequential direction). MAF sampling counts D = 8 full MADE passes per layer (what the PyTorch peer executes; Fluvia's
mafInverse skips the masked-out parts of the first and last layers and does about 4 % less). Computed from the typical time.
"""
import glob
import json
import statistics
import sys


def mlp_flops(dims):
    return 2 * sum(dims[i] * dims[i + 1] for i in range(len(dims) - 1))


def describe(run):
    """(row label, torch peer name, samples per op, FLOPs per op) of a JMH run."""
    name = run["benchmark"].rsplit(".", 2)[-2]
    p = run.get("params", {})
    if name == "GemmBench":
        dims, tr = p["shape"].split(":")
        m, n, k = (int(v) for v in dims.split("x"))
        key = f"gemm-{m}x{n}x{k}-{tr}"
        return key, key, m, 2.0 * m * n * k
    if name == "CouplingStepBench":
        b = int(p["batch"])
        return f"coupling-d8-256-b{b}", f"coupling-d8-256-b{b}", b, 3.0 * b * mlp_flops([4, 256, 256, 8])
    if name == "RealNvpStepBench":
        b, mode = int(p["batch"]), p["mode"].lower()
        return f"realnvp2d-8x64-b{b} ({mode})", f"realnvp2d-8x64-b{b}", b, 3.0 * b * 8 * mlp_flops([1, 64, 64, 2])
    if name == "MafStepBench":
        b, mode = int(p["batch"]), p["mode"].lower()
        return f"maf8-5x512-b{b} ({mode})", f"maf8-5x512-b{b}", b, 3.0 * b * 5 * mlp_flops([8, 512, 512, 16])
    if name == "MafSampleBench":
        b = int(p["batch"])
        return f"maf8-5x512-sample-b{b}", f"maf8-5x512-sample-b{b}", b, 8.0 * b * 5 * mlp_flops([8, 512, 512, 16])
    raise ValueError(name)


def main():
    out, threads = sys.argv[1], sys.argv[2:]
    print("| benchmark | threads | Fluvia ms/step (best) | PyTorch ms/step (best) | Fluvia samples/s | PyTorch samples/s "
          "| Fluvia/PyTorch typical | Fluvia/PyTorch best | Fluvia GFLOP/s | PyTorch GFLOP/s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    spread = []
    for t in threads:
        torch = {}
        for path in sorted(glob.glob(f"{out}/torch-*-t{t}.txt")):
            with open(path) as fh:
                for line in fh:
                    if line.startswith("torch "):
                        kv = dict(p.split("=", 1) for p in line.split()[1:])
                        torch[kv["bench"]] = kv
        runs = []
        for path in sorted(glob.glob(f"{out}/jmh-*-t{t}.json")):
            with open(path) as fh:
                runs += json.load(fh)
        for run in runs:
            key, tkey, samples, flops = describe(run)
            pm = run["primaryMetric"]
            raw = [v for fork in pm["rawData"] for v in fork]
            ms, best = statistics.median(raw), min(raw)
            spread.append(f"| {key} | {t} | {len(raw)} | {best:.2f} | {ms:.2f} | {max(raw):.2f} | {max(raw) / best:.2f} |")
            tk = torch.get(tkey, {})
            tms, tbest = float(tk.get("ms", "nan")), float(tk.get("best_ms", tk.get("ms", "nan")))
            print(f"| {key} | {t} | {ms:.2f} ({best:.2f}) | {tms:.2f} ({tbest:.2f}) | {samples / ms * 1e3:,.0f} | "
                  f"{samples / tms * 1e3:,.0f} | {tms / ms:.2f} | {tbest / best:.2f} | {flops / ms / 1e6:.1f} | "
                  f"{flops / tms / 1e6:.1f} |")

    print()
    print("Fluvia spread over JMH measurement iterations (ms/op):")
    print()
    print("| benchmark | threads | iterations | min | median | max | max/min |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(spread))


if __name__ == "__main__":
    main()
