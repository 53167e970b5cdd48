"""What the numeric oracle costs on a tiny GPT-like block: every element vs a sample, and a
cached answer vs a computed one.

Run from the repository root: python benchmarks/numeric_oracle.py [--runs N]

The block (written here in NumPy, about 1000 parameters: C = 8, T = 8, V = 32) is one
causal self-attention, a ReLU MLP and a language-model head, with a residual around each;
its oracle is the numeric gradient of sum(logits * upstream) in every parameter, as a spec's
`numeric=` would compute it for a backward check. Figures are medians over --runs.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

from grader.numeric import OracleCache, cached_numeric, numeric_gradient, upstream_loss

B, T, V = 2, 8, 32
WIDTHS = (8, 16)  # C: about 1000 parameters, then about 3000


def init(rng: np.random.Generator, C: int) -> dict[str, np.ndarray]:
    shapes = {
        "Wq": (C, C),
        "Wk": (C, C),
        "Wv": (C, C),
        "Wo": (C, C),
        "W1": (4 * C, C),
        "b1": (4 * C,),
        "W2": (C, 4 * C),
        "b2": (C,),
        "Wlm": (V, C),
    }
    return {name: rng.normal(0.0, 0.3, size=shape) for name, shape in shapes.items()}


def block(params: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """Logits (B, T, V) of x (B, T, C): attention, then an MLP, then the head."""
    C = x.shape[-1]
    q, k, v = x @ params["Wq"].T, x @ params["Wk"].T, x @ params["Wv"].T
    scores = q @ k.transpose(0, 2, 1) / np.sqrt(C)
    scores = np.where(np.tril(np.ones((T, T), dtype=bool)), scores, -np.inf)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights /= weights.sum(axis=-1, keepdims=True)
    h = x + (weights @ v) @ params["Wo"].T
    hidden = np.maximum(h @ params["W1"].T + params["b1"], 0.0)
    h = h + hidden @ params["W2"].T + params["b2"]
    return h @ params["Wlm"].T


def oracle(
    params: dict[str, np.ndarray], x: np.ndarray, upstream: np.ndarray, sample_above: int | None
) -> dict[str, np.ndarray]:
    """The numeric gradient of sum(block * upstream) in every parameter."""
    grads = {}
    for name, value in params.items():

        def forward(p: np.ndarray, name: str = name) -> np.ndarray:
            return block({**params, name: p}, x)

        grads[name] = numeric_gradient(
            upstream_loss(forward, upstream), value, sample_above=sample_above
        )
    return grads


def median_time(run: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    for width in WIDTHS:
        measure(width, runs)
        print()


def measure(C: int, runs: int) -> None:
    rng = np.random.default_rng(0)
    params = init(rng, C)
    x, upstream = rng.normal(size=(B, T, C)), rng.normal(size=(B, T, V))
    count = sum(p.size for p in params.values())

    full = oracle(params, x, upstream, None)
    sampled = oracle(params, x, upstream, 64)
    known = sum(int((~np.isnan(g)).sum()) for g in sampled.values())
    worst = max(float(np.max(np.abs(sampled[k] - full[k])[~np.isnan(sampled[k])])) for k in params)
    print(f"block with C = {C}: {count} parameters in {len(params)} tensors")
    for name, value in params.items():
        kept = int((~np.isnan(sampled[name])).sum())
        print(f"  {name:4} {value.shape!s:9} differenced at {kept:4} of {value.size}")
    print(f"sampled cells: {known} of {count}; largest |sampled - full| there: {worst:.1e}")

    t_full = median_time(lambda: oracle(params, x, upstream, None), runs)
    t_sampled = median_time(lambda: oracle(params, x, upstream, 64), runs)
    print(f"central differences, every element: {t_full * 1e3:8.1f} ms per case")
    print(
        f"central differences, sampled:       {t_sampled * 1e3:8.1f} ms per case"
        f"  ({t_full / t_sampled:.1f}x faster)"
    )

    cache = OracleCache()
    misses = []
    for _ in range(runs):
        cache.clear()
        start = time.perf_counter()
        cached_numeric(oracle, params, x, upstream, 64, cache=cache)
        misses.append(time.perf_counter() - start)
    t_hit = median_time(lambda: cached_numeric(oracle, params, x, upstream, 64, cache=cache), runs)
    print(f"cached oracle, miss (computed):     {statistics.median(misses) * 1e3:8.1f} ms")
    print(
        f"cached oracle, hit (digest + copy): {t_hit * 1e3:8.3f} ms"
        f"  ({cache.nbytes} bytes held for this case)"
    )


if __name__ == "__main__":
    main()
