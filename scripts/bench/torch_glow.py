#!/usr/bin/env python3
"""PyTorch peer of `fluvia bench-glow`: one Glow step (ActNorm -> LU 1x1 conv -> affine coupling with Glow's conv net,
sigmoid scale) on random images [batch, C, H, W]; times the maximum-likelihood forward+backward pass and the sampling
(inverse) pass. Plain PyTorch, float32, on the CPU (pin threads the same way as the Java run) or on a GPU
(--device cuda: TF32 off like Fluvia's kernels, torch.cuda.synchronize() before every clock read; --compile also times
the torch.compile'd log-density, reported on its own line after the eager one), e.g.

  OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 /usr/bin/python3 scripts/bench/torch_glow.py --threads 2
  python3 scripts/bench/torch_glow.py --device cuda --compile
"""
import argparse
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class ActNorm(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.logs = nn.Parameter(torch.zeros(1, c, 1, 1))
        self.bias = nn.Parameter(torch.zeros(1, c, 1, 1))

    def initialize(self, x):
        with torch.no_grad():
            mean = x.mean(dim=(0, 2, 3), keepdim=True)
            std = x.std(dim=(0, 2, 3), keepdim=True, unbiased=False)
            self.logs.copy_(-torch.log(std + 1e-6))
            self.bias.copy_(-mean * torch.exp(self.logs))

    def forward(self, x):
        hw = x.shape[2] * x.shape[3]
        return x * torch.exp(self.logs) + self.bias, hw * self.logs.sum()

    def inverse(self, y):
        return (y - self.bias) * torch.exp(-self.logs)


class InvConv1x1LU(nn.Module):
    def __init__(self, c, seed=7):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        w0, _ = torch.linalg.qr(torch.randn(c, c, generator=g))
        p, l, u = torch.linalg.lu(w0)
        s = torch.diag(u)
        self.register_buffer("p", p)
        self.register_buffer("sign", torch.sign(s))
        self.register_buffer("lmask", torch.tril(torch.ones(c, c), -1))
        self.register_buffer("eye", torch.eye(c))
        self.lower = nn.Parameter(l)
        self.upper = nn.Parameter(torch.triu(u, 1))
        self.logs = nn.Parameter(torch.log(torch.abs(s)))

    def weight(self):
        l = self.lower * self.lmask + self.eye
        u = self.upper * self.lmask.T + torch.diag(self.sign * torch.exp(self.logs))
        return self.p @ l @ u

    def forward(self, x):
        w = self.weight()
        hw = x.shape[2] * x.shape[3]
        return F.conv2d(x, w.view(*w.shape, 1, 1)), hw * self.logs.sum()

    def inverse(self, y):
        c = y.shape[1]
        l = self.lower * self.lmask + self.eye
        u = self.upper * self.lmask.T + torch.diag(self.sign * torch.exp(self.logs))
        # x = U^-1 L^-1 P^T y per pixel, by triangular solves on [C, N*H*W]
        yy = y.permute(1, 0, 2, 3).reshape(c, -1)
        z = torch.linalg.solve_triangular(l, self.p.T @ yy, upper=False, unitriangular=True)
        x = torch.linalg.solve_triangular(u, z, upper=True)
        return x.reshape(c, y.shape[0], y.shape[2], y.shape[3]).permute(1, 0, 2, 3)


class Coupling(nn.Module):
    """Glow's affine coupling: h = NN(x_a); s = sigmoid(h_s + 2); y_b = (x_b + t) * s."""

    def __init__(self, c, width):
        super().__init__()
        self.ca = c // 2
        cb = c - self.ca
        self.net = nn.Sequential(nn.Conv2d(self.ca, width, 3, padding=1), nn.ReLU(),
                                 nn.Conv2d(width, width, 1), nn.ReLU(),
                                 nn.Conv2d(width, 2 * cb, 3, padding=1))
        nn.init.zeros_(self.net[-1].weight)
        nn.init.zeros_(self.net[-1].bias)

    def forward(self, x):
        xa, xb = x[:, :self.ca], x[:, self.ca:]
        h = self.net(xa)
        cb = xb.shape[1]
        s = torch.sigmoid(h[:, :cb] + 2.0)
        t = h[:, cb:]
        return torch.cat([xa, (xb + t) * s], 1), torch.log(s).flatten(1).sum(1)

    def inverse(self, y):
        ya, yb = y[:, :self.ca], y[:, self.ca:]
        h = self.net(ya)
        cb = yb.shape[1]
        s = torch.sigmoid(h[:, :cb] + 2.0)
        return torch.cat([ya, yb / s - h[:, cb:]], 1)


class GlowStep(nn.Module):
    def __init__(self, c, width):
        super().__init__()
        self.layers = nn.ModuleList([ActNorm(c), InvConv1x1LU(c), Coupling(c, width)])

    def log_prob(self, x):
        ld = torch.zeros(x.shape[0], device=x.device)
        for m in self.layers:
            x, l = m(x)
            ld = ld + l
        d = x[0].numel()
        return -0.5 * (x ** 2).flatten(1).sum(1) - 0.5 * d * math.log(2 * math.pi) + ld

    @torch.no_grad()
    def sample(self, n, shape, temperature=1.0):
        z = torch.randn(n, *shape, device=self.layers[0].logs.device) * temperature
        for m in reversed(self.layers):
            z = m.inverse(z)
        return z


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def timed(a, step, log_prob, x, shape, device):
    """Median and min (ms) of forward+backward and of sampling over a.iters runs after a.warmup."""
    params = list(step.parameters())
    train, sample = [], []
    for it in range(-a.warmup, a.iters):
        sync(device)
        t0 = time.perf_counter()
        for p in params:
            p.grad = None
        loss = -log_prob(x).mean()
        loss.backward()
        sync(device)
        t1 = time.perf_counter()
        step.sample(a.batch, shape)
        sync(device)
        t2 = time.perf_counter()
        if it >= 0:
            train.append((t1 - t0) * 1e3)
            sample.append((t2 - t1) * 1e3)
    train.sort()
    sample.sort()
    return train, sample


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--channels", type=int, default=12)
    ap.add_argument("--size", type=int, default=16)
    ap.add_argument("--width", type=int, default=512)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    ap.add_argument("--compile", action="store_true", help="also time torch.compile(log_prob) (eager first)")
    a = ap.parse_args()
    if a.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit(f"torch_glow: --device cuda but torch {torch.__version__} sees no CUDA device")
    device = torch.device(a.device)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    shape = (a.channels, a.size, a.size)
    step = GlowStep(a.channels, a.width).to(device)
    x = (torch.rand(a.batch, *shape) * 2 - 1).to(device)
    step.layers[0].initialize(x)
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else f"{torch.get_num_threads()} threads"
    variants = [("eager", step.log_prob)]
    if a.compile and not hasattr(torch, "compile"):
        print(f"torch_glow: --compile skipped: torch {torch.__version__} has no torch.compile (needs 2.0+)")
    elif a.compile:
        variants.append(("compile", torch.compile(step.log_prob)))
    for name, fn in variants:
        train, sample = timed(a, step, fn, x, shape, device)
        mt, ms = train[a.iters // 2], sample[a.iters // 2]
        print(f"torch {torch.__version__} {name} glow step [{a.batch}, {a.channels}, {a.size}, {a.size}] width {a.width}, {where}: "
              f"forward+backward median {mt:.1f} ms (min {train[0]:.1f}, {a.batch / (mt * 1e-3):.1f} images/s); "
              f"sampling median {ms:.1f} ms (min {sample[0]:.1f}, {a.batch / (ms * 1e-3):.1f} images/s)")


if __name__ == "__main__":
    main()
