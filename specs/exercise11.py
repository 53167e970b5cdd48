"""exercise11: embeddings and one head of causal self-attention, and their backward passes.

Every embedding case repeats a token (fancy-indexed `dW[idx] += dOut` keeps one of the two
rows); the attention cases have unequal B, T, C and H, B = 1, T = 1 and a case where every
size is equal (Wq square, so a transpose fits). Causality is judged on its own, through the
learner's own functions (drivers/exercise11.py): later positions must change no earlier
output, and an upstream gradient at position t must send nothing into dX after t. Large inputs
(|X| up to 1000, weights of norm about 1) must stay finite and silent, and scores beyond 1e9
must still give masked entries exactly 0: a finite mask constant fails there.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.checks.base import SOFTMAX_ADVICE, Case, Check, Mistake, OutputCheck
from grader.checks.inputs import case_label, normal
from grader.checks.spec import Function, arguments_unchanged, gradient_of
from grader.judge.diagnose import Diagnosis, Factor

# (B, T, C, H): all different (none 2), B = 1 with H > C, T = 1, every size equal (a
# transpose fits), and the worked example's (1, 3, 2, 4)
SIZES = [(3, 5, 7, 4), (1, 4, 3, 5), (2, 1, 5, 3), (3, 3, 3, 3), (1, 3, 2, 4)]
# (B, T, V, C) of the embedding cases: each repeats a token
EMBEDDING_SIZES = [(3, 5, 7, 4), (1, 4, 6, 5), (2, 1, 3, 6), (3, 3, 3, 3), (1, 3, 3, 2)]


def _factors(**sizes: int) -> dict[str, Factor]:
    meanings = {
        "B": "the batch size",
        "T": "the number of positions",
        "C": "the number of channels",
        "H": "the head size",
        "V": "the number of tokens",
    }
    return {name: Factor(float(value), meanings[name]) for name, value in sizes.items()}


# --- embeddings ----------------------------------------------------------------------------


def _token_ids(rng: np.random.Generator, b: int, t: int, v: int) -> np.ndarray:
    """Token ids with at least one token at two positions (in one sequence where T > 1, and
    across the batch as well where B > 1)."""
    idx = rng.integers(0, v, size=(b, t))
    flat = idx.reshape(-1)
    first, second = rng.permutation(flat.size)[:2]
    flat[second] = flat[first]
    if t > 1:
        row = idx[0]
        i, j = rng.permutation(t)[:2]
        row[j] = row[i]
    return idx


def embedding_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for b, t, v, c in EMBEDDING_SIZES:
        idx = _token_ids(rng, b, t, v)
        inputs = {"idx": idx, "W": normal(rng, v, c), "dOut": normal(rng, b, t, c), "V": v}
        cases.append(Case(case_label(B=b, T=t, V=v, C=c), inputs, _factors(B=b, T=t, V=v, C=c)))
    return cases


def _fancy_add(case: Case) -> np.ndarray:
    idx, dOut, v = case.inputs["idx"], case.inputs["dOut"], case.inputs["V"]
    dW = np.zeros((v, dOut.shape[-1]))
    dW[idx] += dOut  # buffered: a repeated token keeps one of its rows
    return dW


EMBEDDING_MISTAKES = (
    Mistake(
        None,
        "dW[idx] += dOut with fancy indexing is buffered: a token that appears at two positions "
        "gets only one of their rows. Use np.add.at(dW, idx, dOut), which adds every time, or "
        "a loop over the positions.",
        lambda ref, c: _fancy_add(c),
    ),
)


# --- softmax_backward ------------------------------------------------------------------------


def _softmax(S: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        E = np.exp(S - S.max(axis=-1, keepdims=True))
        return E / E.sum(axis=-1, keepdims=True)


def softmax_cases(rng: np.random.Generator) -> list[Case]:
    """Causal attention weights (B, T, T), rows of exact zeros included, and a 2-D (N, K)."""
    cases = []
    for b, t, _, _ in SIZES:
        future = np.triu(np.ones((t, t), dtype=bool), k=1)
        P = _softmax(np.where(future, -np.inf, normal(rng, b, t, t, scale=1.5)))
        inputs = {"dP": normal(rng, b, t, t), "P": P}
        cases.append(Case(case_label(B=b, T=t), inputs, _factors(B=b, T=t)))
    P = _softmax(normal(rng, 4, 6, scale=2.0))
    cases.append(Case("P of shape (4, 6)", {"dP": normal(rng, 4, 6), "P": P}))
    return cases


SOFTMAX_MISTAKES = (
    Mistake(
        None,
        "P * (1 - P) * dP is the diagonal of the softmax's Jacobian alone: each P[j] depends "
        "on every score of its row, so dS = P * (dP - sum(dP * P, axis=-1, keepdims=True)).",
        lambda ref, c: c.inputs["P"] * (1 - c.inputs["P"]) * c.inputs["dP"],
    ),
    Mistake(
        None,
        "the sum of dP * P was taken over the wrong axis: it runs along the last axis, the "
        "axis the softmax normalised.",
        lambda ref, c: (
            c.inputs["P"]
            * (c.inputs["dP"] - np.sum(c.inputs["dP"] * c.inputs["P"], axis=-2, keepdims=True))
        ),
    ),
    Mistake(
        None,
        "the sum of dP * P lost its axis (no keepdims), so it was broadcast along the wrong "
        "axis: keep it as a column, keepdims=True.",
        lambda ref, c: (
            c.inputs["P"] * (c.inputs["dP"] - np.sum(c.inputs["dP"] * c.inputs["P"], axis=-1))
        ),
    ),
)


# --- causal attention ------------------------------------------------------------------------


def attention_cases(rng: np.random.Generator) -> list[Case]:
    """Scores of order 1 (weights with rows of norm about 1.5), so that the softmax, the mask
    and the scale all change the numbers."""
    cases = []
    for b, t, c, h in SIZES:
        inputs = {
            "X": normal(rng, b, t, c),
            "Wq": normal(rng, h, c, scale=1.5 / np.sqrt(c)),
            "Wk": normal(rng, h, c, scale=1.5 / np.sqrt(c)),
            "Wv": normal(rng, h, c, scale=1.0 / np.sqrt(c)),
            "dY": normal(rng, b, t, h),
        }
        factors = _factors(B=b, T=t, C=c, H=h)
        cases.append(Case(case_label(B=b, T=t, C=c, H=h), inputs, factors))
    return cases


def _one_hot_rows(X: np.ndarray, Wq: np.ndarray, Wk: np.ndarray) -> bool:
    """Whether every row's unmasked scores are 1000 or more apart: each softmax is then
    exactly one-hot, the same to the last bit for every right way of computing it."""
    h, t = Wq.shape[0], X.shape[1]
    S = (X @ Wq.T) @ np.swapaxes(X @ Wk.T, -1, -2) / np.sqrt(h)
    for row in range(t):
        top = np.sort(S[:, row, : row + 1], axis=-1)
        if row > 0 and (top[:, -1] - top[:, -2] < 1000.0).any():
            return False
    return True


def _large_inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """|X| up to 1000 (both signs present), weights with rows of norm about 1, drawn until
    each row's softmax is one-hot (its scores, of order 1e5, far apart): most draws are."""
    b, t, c, h = 2, 4, 5, 3
    while True:
        X = np.clip(normal(rng, b, t, c, scale=400.0), -1000.0, 1000.0)
        X[0, 0, 0], X[1, -1, -1] = 1000.0, -1000.0
        Wq, Wk, Wv = (normal(rng, h, c, scale=1.0 / np.sqrt(c)) for _ in range(3))
        if _one_hot_rows(X, Wq, Wk):
            return {"X": X, "Wq": Wq, "Wk": Wk, "Wv": Wv, "dY": normal(rng, b, t, h)}


def _huge_scores() -> dict[str, np.ndarray]:
    """Scores of +-1e12 (exact in float64: integers, H = 4): row 0's own score is -2e12 and
    its future ones are above it, row 1's future one is above the past ones. A finite mask
    constant (-1e9, set or added) lets the future in; -inf does not."""
    X = np.array([[[-2.0, 1.0], [-1.0, -1.0], [3.0, -2.0]]])
    Wq = 1e6 * np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
    Wk = 1e6 * np.array([[0.0, 1.0], [0.0, 1.0], [0.0, 0.0], [0.0, 0.0]])
    Wv = np.array([[0.5, 0.0], [0.0, 0.25], [1.0, 1.0], [-1.0, 0.5]])
    return {"X": X, "Wq": Wq, "Wk": Wk, "Wv": Wv, "dY": np.ones((1, 3, 4))}


def large_cases(rng: np.random.Generator) -> list[Case]:
    """A fixed draw, a random one (called twice, as every random case), and huge scores."""
    return [
        Case("|X| up to 1000, weights of norm about 1", _large_inputs(np.random.default_rng(11))),
        Case("|X| up to 1000, a random draw", _large_inputs(rng)),
        Case("scores of +-1e12 (B=1, T=3, C=2, H=4)", _huge_scores()),
    ]


def large_backward_cases(rng: np.random.Generator) -> list[Case]:
    return large_cases(rng)[:2]


def _attend(inputs: dict[str, Any], **how: Any) -> dict[str, np.ndarray]:
    """Y, P and the four gradients of causal attention, computed right or with one mistake:
    `mask` "causal" (-inf before the softmax), "after" (the softmax's output zeroed above the
    diagonal), "strict" (the diagonal hidden too), "anti" (s < t hidden), "loose" (s > t + 1 hidden), "none", "constant"
    (-1e9 set) or "added" (-1e9 added); `scale` the forward's factor ("sqrt_h", "none", "h",
    "sqrt_c"); `backward_scale` False leaves it out of dS alone; `diagonal` takes
    P * (1 - P) * dP for the softmax's backward; `paths` the ones of Q, K, V dX gets;
    `swapped` hands dWk back as dWq and dWq as dWk."""
    X, Wq, Wk, Wv = inputs["X"], inputs["Wq"], inputs["Wk"], inputs["Wv"]
    h, c = Wq.shape
    t = X.shape[1]
    scale = {"sqrt_h": 1 / np.sqrt(h), "none": 1.0, "h": 1.0 / h, "sqrt_c": 1 / np.sqrt(c)}[
        how.get("scale", "sqrt_h")
    ]
    Q, K, V = X @ Wq.T, X @ Wk.T, X @ Wv.T
    S = Q @ np.swapaxes(K, -1, -2) * scale
    ones = np.ones((t, t), dtype=bool)
    mask = how.get("mask", "causal")
    hidden = {
        "causal": np.triu(ones, k=1),
        "after": np.triu(ones, k=1),
        "strict": np.triu(ones, k=0),
        "anti": np.tril(ones, k=-1),
        "loose": np.triu(ones, k=2),
        "none": ~ones,
        "constant": np.triu(ones, k=1),
        "added": np.triu(ones, k=1),
    }[mask]
    with np.errstate(all="ignore"):
        if mask == "after":
            P = _softmax(S) * ~hidden
        elif mask == "constant":
            P = _softmax(np.where(hidden, -1e9, S))
        elif mask == "added":
            P = _softmax(S + hidden * -1e9)
        else:
            P = _softmax(np.where(hidden, -np.inf, S))
        Y = P @ V
        result = {"Y": Y, "P": P}
        if "dY" not in inputs:
            return result
        dY = inputs["dY"]
        dP = dY @ np.swapaxes(V, -1, -2)
        dV = np.swapaxes(P, -1, -2) @ dY
        if how.get("diagonal", False):
            dS = P * (1 - P) * dP
        else:
            dS = P * (dP - np.sum(dP * P, axis=-1, keepdims=True))
        if how.get("backward_scale", True):
            dS = dS * scale
        dQ, dK = dS @ K, np.swapaxes(dS, -1, -2) @ Q
        paths = how.get("paths", "QKV")
        dX = np.zeros_like(X)
        for name, d, W in (("Q", dQ, Wq), ("K", dK, Wk), ("V", dV, Wv)):
            if name in paths:
                dX = dX + d @ W
        flat = X.reshape(-1, c)
        dWq, dWk = dQ.reshape(-1, h).T @ flat, dK.reshape(-1, h).T @ flat
        if how.get("swapped", False):
            dWq, dWk = dWk, dWq
        result.update(dX=dX, dWq=dWq, dWk=dWk, dWv=dV.reshape(-1, h).T @ flat)
    return result


# (tag, sentence, how) of every known mistake; each check takes the part it judges
Known = tuple[Diagnosis | None, str, dict[str, Any]]
MASK_MISTAKES: list[Known] = [
    (
        None,
        "the mask was applied after the softmax: the weights of each row no longer sum to 1. "
        "Mask the scores before it, with -inf above the diagonal (s > t), so that the softmax "
        "shares each row among the positions s <= t alone.",
        {"mask": "after"},
    ),
    (
        None,
        "the mask hides the diagonal too (s >= t): the first position sees nothing, its row "
        "is all -inf and its softmax NaN. Position t attends to every s <= t, itself included: "
        "np.triu(..., k=1).",
        {"mask": "strict"},
    ),
    (
        None,
        "the mask is anti-causal: it hides the past (s < t) and lets each position see the "
        "future. Hide s > t, the entries above the diagonal.",
        {"mask": "anti"},
    ),
    (
        None,
        "the mask is off by one: it hides s > t + 1, so position t also sees the position just "
        "after it. Hide every s > t, the entries above the diagonal: np.triu(..., k=1).",
        {"mask": "loose"},
    ),
    (
        None,
        "there is no causal mask: each position attends to the positions after it. Set the "
        "scores with s > t to -inf before the softmax.",
        {"mask": "none"},
    ),
]
SCALE_MISTAKES: list[Known] = [
    (
        None,
        "the scores are not scaled: S = Q @ K^T / sqrt(H), the forward's factor (and so the "
        "backward's) 1 / sqrt(H).",
        {"scale": "none"},
    ),
    (
        None,
        "the scores were divided by H; the factor is 1 / sqrt(H).",
        {"scale": "h"},
    ),
    (
        None,
        "the scores were divided by sqrt(C), the channels of X; the factor is 1 / sqrt(H), H "
        "the head size, the length of each query and key.",
        {"scale": "sqrt_c"},
    ),
]
FINITE_MASK_MISTAKES: list[Known] = [
    (
        None,
        "the mask is a finite constant (-1e9): where every score a position may see is below "
        "it, the future wins the softmax. Mask with -np.inf, whose exp is exactly 0 whatever "
        "the scores.",
        {"mask": "constant"},
    ),
    (
        None,
        "the mask adds a finite constant (-1e9) to the future's scores: where they are more "
        "than 1e9 above the past's, the future still wins. Set them to -np.inf instead.",
        {"mask": "added"},
    ),
]
BACKWARD_MISTAKES: list[Known] = [
    (
        None,
        "the softmax's backward is P * (1 - P) * dP, the diagonal of its Jacobian alone: each "
        "weight depends on every score of its row, so dS = P * (dP - sum(dP * P, axis=-1, "
        "keepdims=True)).",
        {"diagonal": True},
    ),
    (
        None,
        "the backward pass leaves out the scale: S = Q @ K^T / sqrt(H), so dS carries the "
        "factor 1 / sqrt(H) into dQ and dK (and so dX, dWq and dWk).",
        {"backward_scale": False},
    ),
    *(
        (
            None,
            f"dX comes through {' and '.join(paths)} alone: X makes Q, K and V, so dX is the sum "
            "of three terms, dQ @ Wq + dK @ Wk + dV @ Wv.",
            {"paths": paths},
        )
        for paths in ("Q", "K", "V", "QK", "QV", "KV")
    ),
    (
        "wrong_variable",
        "dWq and dWk are swapped: dWq comes from dQ = dS @ K (the queries' gradient), dWk from "
        "dK = dS^T @ Q.",
        {"swapped": True},
    ),
]


def _modelled(how: dict[str, Any], output: str | None = None) -> Any:
    """What _attend computes with this mistake: one output, or all of them (a dict)."""

    def model(ref: Any, c: Case) -> Any:
        found = _attend(c.inputs, **how)
        return found if output is None else found[output]

    return model


def known_mistakes(output: str, *groups: list[Known]) -> tuple[Mistake, ...]:
    """The known mistakes of `output` ("Y", "P", "dX", ...), modelled by _attend."""
    return tuple(
        Mistake(tag, sentence, _modelled(how, output))
        for group in groups
        for tag, sentence, how in group
    )


# --- causality, through the learner's own functions -----------------------------------------


def _later_changed(rng: np.random.Generator) -> list[Case]:
    """X and X_changed, equal up to position `cut` - 1 and different from it on."""
    cases = []
    for case in attention_cases(rng):
        X = case.inputs["X"]
        t = X.shape[1]
        if t < 2:
            continue
        cut = int(rng.integers(1, t))
        changed = X.copy()
        changed[:, cut:] = normal(rng, X.shape[0], t - cut, X.shape[2], scale=2.0)
        inputs = {**case.inputs, "X_changed": changed, "cut": cut}
        cases.append(Case(f"{case.label}, positions {cut}.. changed", inputs, case.factors))
    return cases


def _upstream_until(rng: np.random.Generator) -> list[Case]:
    """dY zero after position `t`: dX after t must be zero."""
    cases = []
    for case in attention_cases(rng):
        T = case.inputs["X"].shape[1]
        if T < 2:
            continue
        t = int(rng.integers(0, T - 1))
        dY = case.inputs["dY"].copy()
        dY[:, t + 1 :] = 0.0
        inputs = {**case.inputs, "dY": dY, "t": t}
        cases.append(Case(f"{case.label}, dY zero after position {t}", inputs, case.factors))
    return cases


def _leak(how: dict[str, Any]) -> Any:
    def model(ref: Any, c: Case) -> np.ndarray:
        cut = c.inputs["cut"]
        before = _attend({k: c.inputs[k] for k in ("X", "Wq", "Wk", "Wv")}, **how)["Y"]
        moved = {**c.inputs, "X": c.inputs["X_changed"]}
        after = _attend({k: moved[k] for k in ("X", "Wq", "Wk", "Wv")}, **how)["Y"]
        return after[:, :cut] - before[:, :cut]

    return model


def _reach(how: dict[str, Any]) -> Any:
    def model(ref: Any, c: Case) -> np.ndarray:
        return _attend(c.inputs, **how)["dX"][:, c.inputs["t"] + 1 :]

    return model


LEAKS = MASK_MISTAKES


# --- the picture ---------------------------------------------------------------------------


def picture_cases(rng: np.random.Generator) -> list[Case]:
    """One sequence of six positions whose queries and keys favour different positions."""
    t, c, h = 6, 5, 4
    inputs = {
        "X": normal(rng, 1, t, c),
        "Wq": normal(rng, h, c, scale=2.0 / np.sqrt(c)),
        "Wk": normal(rng, h, c, scale=2.0 / np.sqrt(c)),
    }
    return [Case("one sequence, T=6", inputs)]


PICTURE = Function(
    "attention_weights",
    ("X", "Wq", "Wk"),
    picture_cases,
    returns="picture",
    driver="attention_picture",
    exercise="exercise11",
)


def _picture_of(how: dict[str, Any]) -> Any:
    def model(ref: Any, c: Case) -> dict[str, np.ndarray]:
        P = _attend({**c.inputs, "Wv": c.inputs["Wk"]}, **how)["P"]  # P needs no Wv
        return {f"query {t + 1}": P[0, t] for t in range(P.shape[1])}

    return model


def picture_check() -> OutputCheck:
    """Each query's weights over the keys, judged against the reference's and handed to the
    report for the picture (a lower-triangular heat map)."""
    note = (
        "The picture is your attention_weights on one sequence, one row per query position: "
        "fix the attention_weights check first."
    )
    return PICTURE.output(
        suffix="",
        shown="picture",
        mistakes=tuple(
            Mistake(tag, sentence, _picture_of(how))
            for tag, sentence, how in (*MASK_MISTAKES, *SCALE_MISTAKES)
        ),
        plot="layers",
        why=note,
    )


# --- the checks ------------------------------------------------------------------------------

EMBED_FORWARD = Function("embedding_forward", ("idx", "W"), embedding_cases, returns="out")
EMBED_BACKWARD = Function("embedding_backward", ("dOut", "idx", "V"), embedding_cases, returns="dW")
SOFTMAX_BACKWARD = Function("softmax_backward", ("dP", "P"), softmax_cases, returns="dS")
FORWARD = Function(
    "causal_attention_forward",
    ("X", "Wq", "Wk", "Wv"),
    attention_cases,
    returns="Y",
    uses=("attention_weights",),
    advice=SOFTMAX_ADVICE,
)
BACKWARD = Function(
    "causal_attention_backward",
    ("dY", "X", "Wq", "Wk", "Wv"),
    attention_cases,
    returns=("dX", "dWq", "dWk", "dWv"),
    uses=("softmax_backward",),  # the stub's docstring: dS = softmax_backward(dP, P)
    advice=SOFTMAX_ADVICE,
)
WEIGHTS = Function(
    "attention_weights", ("X", "Wq", "Wk"), attention_cases, returns="P", advice=SOFTMAX_ADVICE
)
CAUSAL_OUTPUTS = Function(
    "causal_attention_forward",
    ("X", "X_changed", "Wq", "Wk", "Wv", "cut"),
    _later_changed,
    returns="Y_changed[:, :cut] - Y[:, :cut]",
    driver="causal_outputs",
    exercise="exercise11",
)
CAUSAL_GRADIENTS = Function(
    "causal_attention_backward",
    ("dY", "X", "Wq", "Wk", "Wv", "t"),
    _upstream_until,
    returns="dX[:, t+1:]",
    driver="causal_gradients",
    exercise="exercise11",
)


def _backward_check(item: str) -> Check:
    return BACKWARD.output(
        item,
        gradient=gradient_of(FORWARD, item[1:], upstream="dY"),
        mistakes=known_mistakes(item, BACKWARD_MISTAKES, MASK_MISTAKES, SCALE_MISTAKES),
    )


CHECKS: list[Check] = [
    EMBED_FORWARD.output(),
    EMBED_BACKWARD.output(
        gradient=gradient_of(EMBED_FORWARD, "W", upstream="dOut"), mistakes=EMBEDDING_MISTAKES
    ),
    SOFTMAX_BACKWARD.output(mistakes=SOFTMAX_MISTAKES),
    WEIGHTS.output(mistakes=known_mistakes("P", MASK_MISTAKES, SCALE_MISTAKES)),
    FORWARD.output(mistakes=known_mistakes("Y", MASK_MISTAKES, SCALE_MISTAKES)),
    WEIGHTS.output(
        suffix="large",
        cases=large_cases,
        stable=True,
        mistakes=known_mistakes("P", FINITE_MASK_MISTAKES, MASK_MISTAKES),
    ),
    FORWARD.output(
        suffix="large",
        cases=large_cases,
        stable=True,
        mistakes=known_mistakes("Y", FINITE_MASK_MISTAKES, MASK_MISTAKES),
    ),
    CAUSAL_OUTPUTS.output(
        suffix="",
        mistakes=tuple(Mistake(tag, sentence, _leak(how)) for tag, sentence, how in LEAKS),
    ),
    *(_backward_check(item) for item in ("dX", "dWq", "dWk", "dWv")),
    BACKWARD.output(
        suffix="large",
        cases=large_backward_cases,
        stable=True,
        # not the hidden diagonal: its NaN spreads to every gradient, and would match any
        # all-NaN answer (a softmax that overflowed); the other checks name that mistake
        mistakes=tuple(
            Mistake(tag, sentence, _modelled(how))
            for group in (MASK_MISTAKES, BACKWARD_MISTAKES)
            for tag, sentence, how in group
            if how.get("mask") != "strict"
        ),
    ),
    CAUSAL_GRADIENTS.output(
        suffix="",
        mistakes=tuple(Mistake(tag, sentence, _reach(how)) for tag, sentence, how in LEAKS),
    ),
    picture_check(),
    arguments_unchanged(
        EMBED_FORWARD, EMBED_BACKWARD, SOFTMAX_BACKWARD, WEIGHTS, FORWARD, BACKWARD
    ),
]
