#!/usr/bin/python3
"""Plain-PyTorch peers of Fluvia's CPU benchmarks (java/bench): same architectures, batch and optimiser.

Run with Debian's interpreter (python3-torch):  /usr/bin/python3 scripts/bench/torch_peer.py --threads 1
Prints one line per benchmark:  torch bench=<name> threads=<t> ms=<median> samples_per_s=<...> gflops=<...>
Timing: `--warmup` untimed steps, then the median (ms=), minimum (best_ms=) and maximum (max_ms=) of `--repeats` timed steps
(MAF sampling: warmup/5 untimed and repeats/4 timed batches, at least 1 and 3)
(time.perf_counter around each step).
Threads are pinned with OMP_NUM_THREADS / OPENBLAS_NUM_THREADS / MKL_NUM_THREADS (set before torch is imported)
and torch.set_num_threads; inter-op parallelism is set to 1.
"""
import argparse
import math
import os
import statistics
import sys
import time

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--bench", default="all", choices=["all", "gemm", "coupling", "realnvp", "maf", "logprob"])
ap.add_argument("--warmup", type=int, default=10)
ap.add_argument("--repeats", type=int, default=40)
ap.add_argument("--cpu", action="store_true", help="time in CPU time of the calling thread (time.thread_time; 1 thread)")
args = ap.parse_args()
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)

import torch  # noqa: E402  (after the thread variables)
from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402

torch.set_num_threads(args.threads)
torch.set_num_interop_threads(1)
torch.manual_seed(0)
LOG_2PI = math.log(2 * math.pi)
CLAMP = 2.0


def timed(fn, warmup, repeats):
    """Returns (median, min, max) of the step times in seconds."""
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(repeats):
        clock = time.thread_time if args.cpu else time.perf_counter
        t0 = clock()
        fn()
        ts.append(clock() - t0)
    return statistics.median(ts), min(ts), max(ts)


def report(name, times, samples, flops):
    seconds, best, worst = times
    print(f"torch bench={name} threads={args.threads} ms={seconds * 1e3:.3f} best_ms={best * 1e3:.3f} max_ms={worst * 1e3:.3f} "
          f"samples_per_s={samples / seconds:.1f} gflops={flops / seconds / 1e9:.2f}", flush=True)


def mlp(dims):
    """in → hidden… → out, ReLU between layers, plain linear output (zero-initialised, as in Fluvia, then perturbed)."""
    layers = []
    for i in range(len(dims) - 1):
        layers.append(nn.Linear(dims[i], dims[i + 1]))
        if i + 2 < len(dims):
            layers.append(nn.ReLU())
    with torch.no_grad():
        layers[-1].weight.uniform_(-0.005, 0.005)
        layers[-1].bias.uniform_(-0.005, 0.005)
    return nn.Sequential(*layers)


def mlp_flops(dims):
    return 2 * sum(dims[i] * dims[i + 1] for i in range(len(dims) - 1))


class AffineCoupling(nn.Module):
    """y_a = x_a, (raw, t) = NN(x_a), log s = c·tanh(raw/c), y_b = x_b·exp(log s) + t, ld = Σ log s (FLOWS.md).
    The masks here are contiguous halves (as Fluvia's alternating masks), so the split is two slices and a cat."""

    def __init__(self, a, b, hidden):
        super().__init__()
        assert a == list(range(a[0], a[-1] + 1)) and b == list(range(b[0], b[-1] + 1))
        self.a = slice(a[0], a[-1] + 1)
        self.b = slice(b[0], b[-1] + 1)
        self.a_first = a[0] < b[0]
        self.k = len(b)
        self.net = mlp([len(a)] + hidden + [2 * len(b)])

    def forward(self, x):
        xa, xb = x[:, self.a], x[:, self.b]
        h = self.net(xa)
        logs = CLAMP * torch.tanh(h[:, :self.k] / CLAMP)
        yb = xb * torch.exp(logs) + h[:, self.k:]
        y = torch.cat([xa, yb], 1) if self.a_first else torch.cat([yb, xa], 1)
        return y, logs.sum(1)


class MaskedLinear(nn.Linear):
    """A linear layer whose weight is multiplied by a fixed 0/1 mask [out, in] on every call (MADE)."""

    def __init__(self, mask):
        super().__init__(mask.shape[1], mask.shape[0])
        self.register_buffer("mask", mask)

    def forward(self, x):
        return F.linear(x, self.weight * self.mask, self.bias)


def made_masks(order, hidden):
    """Fluvia's MADE masks (FLOWS.md "MADE", nn/Made.java): input degree m_in(order[t]) = t + 1; hidden unit k of every
    layer has degree 1 + (k mod (D − 1)); a hidden unit sees a unit / input of degree ≤ its own; both output rows of dim d
    (μ_d at row d, raw α_d at row D + d) see hidden units of degree < m_in(d)."""
    d = len(order)
    m_in = torch.empty(d, dtype=torch.long)
    m_in[torch.tensor(order)] = torch.arange(1, d + 1)
    masks, prev = [], m_in
    for h in hidden:
        cur = 1 + torch.arange(h) % (d - 1)
        masks.append((cur[:, None] >= prev[None, :]).float())
        prev = cur
    out = (m_in[:, None] > prev[None, :]).float()
    masks.append(torch.cat([out, out], 0))
    return masks


class MafLayer(nn.Module):
    """MAF (FLOWS.md "MAF"): (μ, raw) = MADE(x), α = c·tanh(raw/c); density direction z = (x − μ)·exp(−α), ld = −Σ α;
    sampling direction x_d = z_d·exp(α_d) + μ_d, one full MADE pass per autoregressive step (as nflows / zuko do)."""

    def __init__(self, order, hidden):
        super().__init__()
        self.order, self.d = list(order), len(order)
        masks = made_masks(order, hidden)
        layers = []
        for i, m in enumerate(masks):
            layers.append(MaskedLinear(m))
            if i + 1 < len(masks):
                layers.append(nn.ReLU())
        with torch.no_grad():
            layers[-1].weight.uniform_(-0.005, 0.005)
            layers[-1].bias.uniform_(-0.005, 0.005)
        self.net = nn.Sequential(*layers)

    def params_of(self, x):
        h = self.net(x)
        return h[:, :self.d], CLAMP * torch.tanh(h[:, self.d:] / CLAMP)

    def forward(self, x):
        mu, alpha = self.params_of(x)
        return (x - mu) * torch.exp(-alpha), -alpha.sum(1)

    def inverse(self, z):
        x = torch.zeros_like(z)
        for dim in self.order:                      # D sequential full network passes
            mu, alpha = self.params_of(x)
            x[:, dim] = z[:, dim] * torch.exp(alpha[:, dim]) + mu[:, dim]
        return x


class Flow(nn.Module):
    def __init__(self, layers):
        super().__init__()
        self.layers = nn.ModuleList(layers)

    def nll(self, x):
        ld = torch.zeros(x.shape[0])
        for layer in self.layers:
            x, l = layer(x)
            ld = ld + l
        logp = -0.5 * (x * x).sum(1) - 0.5 * x.shape[1] * LOG_2PI + ld
        return -logp.mean()

    @torch.no_grad()
    def sample(self, n, d):
        x = torch.randn(n, d)
        for layer in reversed(self.layers):
            x = layer.inverse(x)
        return x


def alternating(d, layer):
    h = (d + 1) // 2
    first, second = list(range(h)), list(range(h, d))
    return (first, second) if layer % 2 == 0 else (second, first)


def train_bench(name, flow, d, batch, flops_per_step):
    x = torch.randn(batch, d)
    opt = torch.optim.Adam(flow.parameters(), lr=1e-4)

    def step():
        opt.zero_grad()
        loss = flow.nll(x)
        loss.backward()
        opt.step()

    report(name, timed(step, args.warmup, args.repeats), batch, flops_per_step)


def main():
    if args.bench in ("all", "gemm"):
        for m, n, k, tr in ((4096, 256, 256, "NT"), (4096, 256, 256, "NN"), (256, 256, 4096, "TN")):
            a = torch.randn(k, m) if tr[0] == "T" else torch.randn(m, k)
            b = torch.randn(n, k) if tr[1] == "T" else torch.randn(k, n)
            out = torch.empty(m, n)
            opa = (lambda: a.t()) if tr[0] == "T" else (lambda: a)
            opb = (lambda: b.t()) if tr[1] == "T" else (lambda: b)
            s = timed(lambda: torch.mm(opa(), opb(), out=out), args.warmup, args.repeats)
            report(f"gemm-{m}x{n}x{k}-{tr}", s, m, 2.0 * m * n * k)
    if args.bench in ("all", "coupling"):
        dims = [4, 256, 256, 8]
        flow = Flow([AffineCoupling([0, 1, 2, 3], [4, 5, 6, 7], [256, 256])])
        train_bench("coupling-d8-256-b4096", flow, 8, 4096, 3 * 4096 * mlp_flops(dims))
    if args.bench in ("all", "realnvp"):
        flow = Flow([AffineCoupling(*alternating(2, l), [64, 64]) for l in range(8)])
        train_bench("realnvp2d-8x64-b512", flow, 2, 512, 3 * 512 * 8 * mlp_flops([1, 64, 64, 2]))
    if args.bench in ("all", "logprob"):
        # log p of 65,536 rows under the RealNVP 2-D model (java/bench LogProbBench), no autograd
        flow = Flow([AffineCoupling(*alternating(2, l), [64, 64]) for l in range(8)])
        x = torch.randn(65536, 2)

        def score():
            with torch.no_grad():
                flow.nll(x)
        report("logprob-realnvp2d-65536", timed(score, args.warmup, args.repeats), 65536, 65536 * 8 * mlp_flops([1, 64, 64, 2]))
    if args.bench in ("all", "maf"):
        # 5 MAF layers on 8-D data, orders 0..7 then reversed between layers, MADE 8 → 512 → 512 → 16 (ReLU)
        order, layers = list(range(8)), []
        for l in range(5):
            if l > 0:
                order = order[::-1]
            layers.append(MafLayer(order, [512, 512]))
        flow = Flow(layers)
        fwd = 5 * mlp_flops([8, 512, 512, 16])            # one MADE pass per layer, per sample
        train_bench("maf8-5x512-b512", flow, 8, 512, 3 * 512 * fwd)
        report("maf8-5x512-sample-b512", timed(lambda: flow.sample(512, 8), max(1, args.warmup // 5),
                                                   max(3, args.repeats // 4)), 512, 8 * 512 * fwd)


if __name__ == "__main__":
    sys.exit(main())
