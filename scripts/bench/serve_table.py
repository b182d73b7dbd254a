#!/usr/bin/python3
"""Merges the serving benchmarks (JMH ServeBench JSON jmh-serve-r<R>-t<T>.json, serve_peer.py output torch-serve-r<R>-t<T>.txt)
into Markdown tables with ratios.

usage: serve_table.py <dir>

Single row: p50 / p99 in µs (JMH sample time over all measurement iterations; PyTorch: perf_counter_ns per call). With
several rounds, the median over rounds of each percentile.
Batch: rows/s, the median over rounds of (JMH: the median of its measurement iterations; PyTorch: the median call);
"best" is the fastest iteration / call over all rounds (the least-disturbed run on a shared machine).
Ratios are > 1 where Fluvia is faster: Fluvia's rows/s ÷ the peer's for batches, the peer's p50 ÷ Fluvia's for single rows.
"""
import glob
import json
import os
import re
import statistics
import sys
from collections import defaultdict


def main(d):
    lat = defaultdict(list)     # (model, side, T) -> [(p50, p99)]
    thr = defaultdict(list)     # (model, side, T) -> [median rows/s]
    best = defaultdict(float)   # (model, side, T) -> best rows/s
    for path in sorted(glob.glob(os.path.join(d, "jmh-serve-r*-t*.json"))):
        for run in json.load(open(path)):
            p = run["params"]
            key = (p["model"], p["side"], int(p["threads"]))
            pm = run["primaryMetric"]
            if run["benchmark"].endswith(".singleRow"):
                pc = pm["scorePercentiles"]
                lat[key].append((pc["50.0"], pc["99.0"]))
            else:
                b = int(p["batch"])
                iters = [v for fork in pm["rawData"] for v in fork]
                thr[key].append(statistics.median(iters) * b)
                best[key] = max(best[key], max(iters) * b)
    for path in sorted(glob.glob(os.path.join(d, "torch-serve-r*-t*.txt"))):
        for line in open(path):
            if not line.startswith("torch "):
                continue
            kv = dict(re.findall(r"(\w+)=([^ ]+)", line))
            key = (kv["model"], "torch", int(kv["threads"]))
            lat[key].append((float(kv["single_p50_us"]), float(kv["single_p99_us"])))
            thr[key].append(float(kv["rows_per_s"]))
            best[key] = max(best[key], float(kv["best_rows_per_s"]))

    def med_lat(key):
        v = lat.get(key)
        if not v:
            return None
        return statistics.median(x[0] for x in v), statistics.median(x[1] for x in v), len(v)

    def fmt(x, spec):
        return "—" if x is None else format(x, spec)

    models = sorted({k[0] for k in list(lat) + list(thr)}, key=lambda m: ["realnvp", "maf"].index(m) if m in ("realnvp", "maf") else 9)
    threads = sorted({k[2] for k in list(lat) + list(thr)})
    print("### Single-row log p latency (µs)\n")
    print("| model | threads | Fluvia p50 | Fluvia p99 | ORT p50 | ORT p99 | PyTorch p50 | PyTorch p99 | ORT p50 ÷ Fluvia p50 | PyTorch p50 ÷ Fluvia p50 | rounds |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for m in models:
        for t in threads:
            f, o, p = med_lat((m, "fluvia", t)), med_lat((m, "onnx", t)), med_lat((m, "torch", t))
            ro = o[0] / f[0] if f and o else None
            rp = p[0] / f[0] if f and p else None
            n = max(x[2] for x in (f, o, p) if x) if any((f, o, p)) else 0
            print(f"| {m} | {t} | {fmt(f and f[0], '.1f')} | {fmt(f and f[1], '.1f')} | {fmt(o and o[0], '.1f')} | {fmt(o and o[1], '.1f')} | "
                  f"{fmt(p and p[0], '.1f')} | {fmt(p and p[1], '.1f')} | {fmt(ro, '.2f')} | {fmt(rp, '.2f')} | {n} |")
    print("\n### Batch throughput (rows/s, batch 4096)\n")
    print("| model | threads | Fluvia | ORT | PyTorch | Fluvia/ORT | Fluvia/PyTorch | best: Fluvia / ORT / PyTorch | best Fluvia/ORT | best Fluvia/PyTorch |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for m in models:
        for t in threads:
            v = {s: (statistics.median(thr[(m, s, t)]) if thr.get((m, s, t)) else None) for s in ("fluvia", "onnx", "torch")}
            b = {s: best.get((m, s, t)) or None for s in ("fluvia", "onnx", "torch")}

            def ratio(a, c):
                return a / c if a and c else None
            print(f"| {m} | {t} | {fmt(v['fluvia'], ',.0f')} | {fmt(v['onnx'], ',.0f')} | {fmt(v['torch'], ',.0f')} | "
                  f"{fmt(ratio(v['fluvia'], v['onnx']), '.2f')} | {fmt(ratio(v['fluvia'], v['torch']), '.2f')} | "
                  f"{fmt(b['fluvia'], ',.0f')} / {fmt(b['onnx'], ',.0f')} / {fmt(b['torch'], ',.0f')} | "
                  f"{fmt(ratio(b['fluvia'], b['onnx']), '.2f')} | {fmt(ratio(b['fluvia'], b['torch']), '.2f')} |")

    cpu_table(d)


def cpu_table(d):
    """ServeCpuTime / serve_peer.py --cpu lines (cpu-*.txt): per-call CPU time of the calling thread, 1 thread."""
    rows = defaultdict(list)   # (model, side) -> [dict]
    for path in sorted(glob.glob(os.path.join(d, "cpu-*.txt"))):
        for line in open(path):
            if line.startswith("cpu "):
                kv = dict(re.findall(r"(\w+)=([^ ]+)", line))
                rows[(kv["model"], kv["side"])].append(kv)
    if not rows:
        return
    med = lambda key, f: statistics.median(float(k[f]) for k in rows[key]) if rows.get(key) else None
    mx = lambda key, f: max(float(k[f]) for k in rows[key]) if rows.get(key) else None
    print("\n### CPU time of the calling thread, 1 thread (less sensitive to the machine load than wall time)\n")
    print("| model | side | single p50 (µs CPU) | single p99 | batch rows per CPU-second | best | side p50 ÷ Fluvia p50 | Fluvia rows/s ÷ side rows/s | rounds |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for m in ("realnvp", "maf"):
        f50, fthr = med((m, "fluvia"), "single_p50_us"), med((m, "fluvia"), "rows_per_cpu_s")
        for side in ("fluvia", "onnx", "torch"):
            key = (m, side)
            if not rows.get(key):
                continue
            p50, thr = med(key, "single_p50_us"), med(key, "rows_per_cpu_s")
            lat_ratio = p50 / f50 if side != "fluvia" and f50 else None
            thr_ratio = fthr / thr if side != "fluvia" and thr else None
            name = {"fluvia": "Fluvia", "onnx": "ONNX Runtime", "torch": "PyTorch"}[side]
            print(f"| {m} | {name} | {p50:.1f} | {med(key, 'single_p99_us'):.1f} | {thr:,.0f} | {mx(key, 'best_rows_per_cpu_s'):,.0f} | "
                  f"{'—' if lat_ratio is None else f'{lat_ratio:.2f}'} | {'—' if thr_ratio is None else f'{thr_ratio:.2f}'} | {len(rows[key])} |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "target/bench/serve")
