"""The numeric oracle at scale: a sampled central-difference check above a size, and a
bounded cache of oracle answers per case."""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import pytest

from grader.judge.compare import NUMERIC_ATOL, NUMERIC_RTOL, close_where_known
from grader.numeric import (
    AXIS_STRATA,
    SAMPLE_ABOVE,
    OracleCache,
    cached_numeric,
    numeric_gradient,
    oracle_key,
    sample_indices,
    smooth_numeric_gradient,
    upstream_loss,
)

N, SIDE = 8, 64


def _layer(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """X (N, 64), W (64, 64), dZ (N, 64) of a linear layer Z = X @ W.T."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(N, SIDE)), rng.normal(size=(SIDE, SIDE)), rng.normal(size=(N, SIDE))


def _loss_in_w(X: np.ndarray, dZ: np.ndarray) -> Callable[[np.ndarray], float]:
    return upstream_loss(lambda W: X @ W.T, dZ)


@pytest.fixture(scope="module")
def layer() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The layer, its true dW = dZ.T @ X, and the sampled numeric dW."""
    X, W, dZ = _layer()
    return X, W, dZ, smooth_numeric_gradient(_loss_in_w(X, dZ), W)


# ---- the sample ---------------------------------------------------------------------------


def test_small_tensors_are_differenced_whole_and_unchanged() -> None:
    """At or below the threshold nothing is sampled: exercises 01-05 get what they always got."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(8, 8))
    assert x.size == SAMPLE_ABOVE

    def f(v: np.ndarray) -> float:
        return float(np.sum(np.tanh(v) ** 2))

    got = numeric_gradient(f, x)
    assert not np.isnan(got).any()
    np.testing.assert_array_equal(got, numeric_gradient(f, x, sample_above=None))
    smooth, whole = smooth_numeric_gradient(f, x), smooth_numeric_gradient(f, x, sample_above=None)
    np.testing.assert_array_equal(smooth, whole)  # NaN where it was: at the kinks it sees


def test_sampled_agrees_with_full_where_sampled_and_is_nan_elsewhere(layer) -> None:
    X, W, dZ, sampled = layer
    full = smooth_numeric_gradient(_loss_in_w(X, dZ), W, sample_above=None)
    known = ~np.isnan(sampled)
    assert 0 < known.sum() < W.size / 10
    np.testing.assert_array_equal(sampled[known], full[known])
    np.testing.assert_allclose(sampled[known], (dZ.T @ X)[known], rtol=1e-6, atol=1e-7)


def test_the_sample_is_the_same_for_the_same_input_and_moves_with_it(layer) -> None:
    X, W, dZ, sampled = layer
    again = smooth_numeric_gradient(_loss_in_w(X, dZ), W.copy())
    np.testing.assert_array_equal(np.isnan(again), np.isnan(sampled))
    np.testing.assert_array_equal(again[~np.isnan(again)], sampled[~np.isnan(sampled)])
    other = numeric_gradient(_loss_in_w(X, dZ), W + 1.0)
    assert not np.array_equal(np.isnan(other), np.isnan(sampled))


def test_a_generator_may_choose_the_sample() -> None:
    x = np.arange(SIDE * SIDE, dtype=np.float64).reshape(SIDE, SIDE) / 100.0

    def f(v: np.ndarray) -> float:
        return float(np.sum(v**2))

    got = numeric_gradient(f, x, rng=np.random.default_rng(7))
    expected = sample_indices(x.shape, np.random.default_rng(7))
    np.testing.assert_array_equal(np.flatnonzero(~np.isnan(got)), expected)
    long = np.linspace(-1.0, 1.0, 1000)
    assert np.isnan(numeric_gradient(f, long)).any()
    assert not np.isnan(numeric_gradient(f, long, sample_above=None)).any()


@pytest.mark.parametrize("seed", range(5))
def test_the_sample_meets_every_row_column_end_and_grid_cell(seed: int) -> None:
    rng = np.random.default_rng(seed)
    flat = sample_indices((SIDE, SIDE), rng)
    rows, cols = np.unravel_index(flat, (SIDE, SIDE))
    assert flat[0] == 0 and flat[-1] == SIDE * SIDE - 1
    assert set(rows) == set(range(SIDE)) and set(cols) == set(range(SIDE))
    assert len(set((cols - rows) % SIDE)) > SIDE // 4  # not a diagonal: a transpose shows
    assert len({(r // 8, c // 8) for r, c in zip(rows, cols, strict=True)}) == 64
    assert len(flat) <= 2 + 2 * AXIS_STRATA


def _stretch_of(index: np.ndarray, dim: int) -> set[int]:
    """Which of AXIS_STRATA near-equal contiguous stretches of range(dim) each index is in."""
    bounds = np.linspace(0, dim, AXIS_STRATA + 1).round()
    return set((np.searchsorted(bounds, index, side="right") - 1).tolist())


def test_a_long_axis_is_sampled_in_every_stretch() -> None:
    flat = sample_indices((10_000,), np.random.default_rng(1))
    assert _stretch_of(flat, 10_000) == set(range(AXIS_STRATA))
    tall = sample_indices((1000, 3), np.random.default_rng(2))
    rows, cols = np.unravel_index(tall, (1000, 3))
    assert set(cols) == {0, 1, 2} and _stretch_of(rows, 1000) == set(range(AXIS_STRATA))


@pytest.mark.parametrize("shape", [(1,), (300,), (17, 300), (4, 8, 16), (2, 3, 4, 5, 6), (1, 257)])
def test_sample_indices_are_valid_distinct_and_sorted(shape: tuple[int, ...]) -> None:
    flat = sample_indices(shape, np.random.default_rng(3))
    size = int(np.prod(shape))
    assert flat.min() >= 0 and flat.max() < size
    assert np.all(np.diff(flat) > 0)


# ---- a wrong gradient cannot hide from the sample -----------------------------------------


def _transposed(dW: np.ndarray, X: np.ndarray, dZ: np.ndarray) -> np.ndarray:
    return X.T @ dZ


def _first_example_only(dW: np.ndarray, X: np.ndarray, dZ: np.ndarray) -> np.ndarray:
    return np.outer(dZ[0], X[0])  # not summed over the batch


def _averaged(dW: np.ndarray, X: np.ndarray, dZ: np.ndarray) -> np.ndarray:
    return dW / N


def _one_block_wrong(dW: np.ndarray, X: np.ndarray, dZ: np.ndarray) -> np.ndarray:
    wrong = dW.copy()
    wrong[21:37, 40:56] *= 1.5  # 16 x 16, off the grid's lines
    return wrong


def _one_row_wrong(dW: np.ndarray, X: np.ndarray, dZ: np.ndarray) -> np.ndarray:
    wrong = dW.copy()
    wrong[37] = 0.0
    return wrong


def _one_column_wrong(dW: np.ndarray, X: np.ndarray, dZ: np.ndarray) -> np.ndarray:
    wrong = dW.copy()
    wrong[:, 63] *= -1.0
    return wrong


def _last_element_wrong(dW: np.ndarray, X: np.ndarray, dZ: np.ndarray) -> np.ndarray:
    wrong = dW.copy()
    wrong[-1, -1] += 1.0
    return wrong


MISTAKES = [
    _transposed,
    _first_example_only,
    _averaged,
    _one_block_wrong,
    _one_row_wrong,
    _one_column_wrong,
    _last_element_wrong,
]


def test_the_right_gradient_passes_the_sampled_check(layer) -> None:
    X, _, dZ, sampled = layer
    assert close_where_known(dZ.T @ X, sampled, NUMERIC_RTOL, NUMERIC_ATOL)


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: m.__name__.strip("_"))
def test_a_wrong_gradient_fails_the_sampled_check(mistake, layer) -> None:
    X, _, dZ, sampled = layer
    received = mistake(dZ.T @ X, X, dZ)
    assert not close_where_known(received, sampled, NUMERIC_RTOL, NUMERIC_ATOL)


@pytest.mark.parametrize("seed", range(1, 6))
def test_a_wrong_row_column_or_block_is_caught_on_other_inputs_too(seed: int) -> None:
    X, W, dZ = _layer(seed)
    sampled = numeric_gradient(_loss_in_w(X, dZ), W)
    dW = dZ.T @ X
    assert close_where_known(dW, sampled, NUMERIC_RTOL, NUMERIC_ATOL)
    rng = np.random.default_rng(seed)
    for _ in range(20):
        r, c = rng.integers(0, SIDE - 16, size=2)
        row, col = rng.integers(0, SIDE, size=2)
        for part in [(slice(r, r + 16), slice(c, c + 16)), (row, slice(None)), (slice(None), col)]:
            wrong = dW.copy()
            wrong[part] += 1.0
            assert not close_where_known(wrong, sampled, NUMERIC_RTOL, NUMERIC_ATOL), part


@pytest.mark.parametrize("seed", range(5))
def test_a_small_matrix_keeps_every_row_column_and_block_of_eight(seed: int) -> None:
    """A (32, 32): every row and column is sampled, and any 8 x 8 block holds a sampled cell."""
    flat = sample_indices((32, 32), np.random.default_rng(seed))
    mask = np.zeros((32, 32), dtype=bool)
    mask.reshape(-1)[flat] = True
    assert mask.any(axis=1).all() and mask.any(axis=0).all()
    windows = np.lib.stride_tricks.sliding_window_view(mask, (8, 8))
    assert windows.any(axis=(2, 3)).all()
    assert mask.sum() < mask.size / 4


# ---- the cache ----------------------------------------------------------------------------


CALLS: list[str] = []  # what the oracles below were run on (a global: not in their key)


def _oracle_for(key: str) -> Callable[[dict[str, np.ndarray]], np.ndarray]:
    def oracle(inputs: dict[str, np.ndarray]) -> np.ndarray:
        CALLS.append(key)
        return numeric_gradient(lambda v: float(np.sum(np.sin(v))), inputs[key])

    return oracle


def test_the_cache_returns_what_the_oracle_does_and_runs_it_once() -> None:
    cache = OracleCache()
    CALLS.clear()
    oracle = _oracle_for("x")
    inputs = {"x": np.linspace(-1.0, 1.0, 12).reshape(3, 4)}
    first = cached_numeric(oracle, inputs, cache=cache)
    second = cached_numeric(oracle, {"x": inputs["x"].copy()}, cache=cache)
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(first, oracle(inputs))
    assert CALLS == ["x", "x"]  # the third is the direct call above
    assert (cache.hits, cache.misses) == (1, 1)


def test_the_cache_survives_a_caller_writing_into_its_answer() -> None:
    cache = OracleCache()
    oracle = _oracle_for("x")
    inputs = {"x": np.arange(6.0)}
    expected = oracle(inputs)
    got = cached_numeric(oracle, inputs, cache=cache)
    got[:] = 99.0
    again = cached_numeric(oracle, inputs, cache=cache)
    np.testing.assert_array_equal(again, expected)
    again[0] = -1.0  # a served copy is writeable, as an uncached answer is
    np.testing.assert_array_equal(cached_numeric(oracle, inputs, cache=cache), expected)
    nested = cached_numeric(lambda: {"a": np.ones(2), "b": (np.zeros(1), 3.0)}, cache=cache)
    nested["a"][0] = 5.0
    nested["b"][0][0] = 5.0
    fresh = cached_numeric(lambda: {"a": np.ones(2), "b": (np.zeros(1), 3.0)}, cache=cache)
    assert fresh["a"][0] == 1.0 and fresh["b"][0][0] == 0.0


def test_the_key_tells_apart_closures_inputs_variables_and_dtypes() -> None:
    x = np.arange(4.0)
    by_x, by_y = _oracle_for("x"), _oracle_for("y")
    keys = {
        oracle_key(by_x, {"x": x}),
        oracle_key(by_y, {"x": x}),
        oracle_key(by_x, {"x": x + 1}),
        oracle_key(by_x, {"x": x.astype(np.float32)}),
        oracle_key(by_x, {"x": x.reshape(2, 2)}),
        oracle_key(by_x, {"x": x}, variable="dW"),
        oracle_key(functools.partial(by_x), {"x": x}),
    }
    assert len(keys) == 7
    assert oracle_key(by_x, {"x": x}) == oracle_key(_oracle_for("x"), {"x": x.copy()})


def test_an_uncacheable_argument_or_answer_is_computed_every_time() -> None:
    cache = OracleCache()
    calls: list[int] = []

    class Opaque:
        pass

    def oracle(thing: object) -> object:
        calls.append(1)
        return thing

    cached_numeric(oracle, Opaque(), cache=cache)
    cached_numeric(oracle, Opaque(), cache=cache)
    cached_numeric(oracle, 1.0, cache=cache)
    cached_numeric(lambda: Opaque(), cache=cache)  # an answer that is not numbers
    assert len(calls) == 3 and len(cache) == 1


def test_an_oracle_that_raises_is_not_cached() -> None:
    cache = OracleCache()

    def failing() -> np.ndarray:
        raise LookupError("not recorded")

    for _ in range(2):
        with pytest.raises(LookupError):
            cached_numeric(failing, cache=cache)
    assert len(cache) == 0 and cache.misses == 2


def test_the_cache_stays_within_its_byte_budget_dropping_the_least_recent() -> None:
    answer_bytes = 100 * 8
    cache = OracleCache(max_bytes=5 * (answer_bytes + 200))
    oracle = lambda x: np.full(100, float(x))  # noqa: E731
    for i in range(20):
        cached_numeric(oracle, i, cache=cache)
        cached_numeric(oracle, 0, cache=cache)  # kept recent, so never dropped
        assert cache.nbytes <= cache.max_bytes
    assert 1 < len(cache) <= 5
    hits = cache.hits
    cached_numeric(oracle, 0, cache=cache)
    assert cache.hits == hits + 1
    cached_numeric(oracle, 1, cache=cache)  # long dropped: computed again
    assert cache.hits == hits + 1
    cached_numeric(lambda: np.zeros(10_000), cache=cache)  # bigger than the budget: not kept
    assert cache.nbytes <= cache.max_bytes and len(cache) <= 5


def test_a_module_argument_is_keyed_by_its_file(tmp_path) -> None:
    import importlib.util

    def load(name: str, text: str):
        path = tmp_path / f"{name}.py"
        path.write_text(text)
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    def oracle(ref, x: np.ndarray) -> np.ndarray:
        return numeric_gradient(lambda v: float(np.sum(ref.f(v))), x)

    one = load("ref_a", "def f(v):\n    return v ** 2\n")
    same = load("ref_a", "def f(v):\n    return v ** 2\n")
    x = np.arange(3.0)
    assert oracle_key(oracle, one, x) == oracle_key(oracle, same, x)
    edited = load("ref_b", "def f(v):\n    return v ** 3\n")
    assert oracle_key(oracle, one, x) != oracle_key(oracle, edited, x)
