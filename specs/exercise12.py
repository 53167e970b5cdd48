"""exercise12: a tiny GPT, one pre-norm transformer block with one head, trained on characters.

The whole network's gradients are judged against the reference (torch autograd is its
independent oracle, in tests/test_reference_torch_exercise12.py); central differences judge
gelu_backward alone, sampled on big tensors (grader.numeric). The mistakes of the backward pass
are modelled by `_network` below, the reference's own layernorm and attention put together
with one thing changed: a residual's gradient dropped, a GELU slope missing a term, repeated
tokens dropped from wte's gradient, the loss divided by B.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from functools import cache
from types import ModuleType
from typing import Any

import numpy as np

from grader.checks.base import (
    LOG_SOFTMAX_ADVICE,
    Case,
    Check,
    Mistake,
    OutputCheck,
    ones_upstream,
)
from grader.checks.inputs import normal
from grader.checks.spec import Function, arguments_unchanged, gradient_of
from grader.course import course_root
from grader.judge.diagnose import Diagnosis, Factor

Params = dict[str, np.ndarray]
EPS = 1e-5
GELU_C = math.sqrt(2.0 / math.pi)
GELU_A = 0.044715
KEYS = ("wte", "wpe", "Wq", "Wk", "Wv", "Wo", "W1", "W2", "Wlm",
        "ln1_g", "ln1_b", "ln2_g", "ln2_b", "lnf_g", "lnf_b", "b1", "b2")  # fmt: skip
TEXT = ("exercises", "data", "alice.txt")

# (B, T, V, T of wpe, C): all different, with a context shorter than wpe (its last rows get no
# gradient); B = 1; V = T = C (wte, wpe and Wlm square, where a transpose fits). Small: a
# release writes down every case's value of every model of every key's check
NETWORKS = [(3, 5, 7, 6, 4), (1, 4, 6, 4, 3), (3, 5, 5, 5, 5)]


# --- gelu and gelu_backward -------------------------------------------------------------------

SHAPES = [(3, 5), (1, 13), (4, 4), (2, 4, 2)]
# large enough that tanh (and erf) saturate: these check finiteness and silence, not the formula
LARGE = np.array([[-1000.0, -300.0, -40.0, -30.0, 0.0], [30.0, 40.0, 300.0, 1000.0, -600.0]])


def gelu_cases(rng: np.random.Generator) -> list[Case]:
    return [
        Case(f"shape {shape}", {"Z": normal(rng, *shape, scale=2.0), "dA": normal(rng, *shape)})
        for shape in SHAPES
    ]


def large_cases(rng: np.random.Generator) -> list[Case]:
    mixed = rng.choice([-1000.0, -600.0, 600.0, 1000.0], size=(3, 4)) + normal(rng, 3, 4)
    return [
        Case("|Z| up to 1000", {"Z": LARGE.copy(), "dA": np.ones_like(LARGE)}),
        Case("large random Z", {"Z": mixed, "dA": normal(rng, 3, 4)}),
    ]


def _erf(Z: np.ndarray) -> np.ndarray:
    return np.vectorize(math.erf, otypes=[np.float64])(Z)


def _gelu(Z: np.ndarray, form: str = "tanh") -> np.ndarray:
    if form == "erf":
        return 0.5 * Z * (1.0 + _erf(Z / math.sqrt(2.0)))
    if form == "no_cube":
        return 0.5 * Z * (1.0 + np.tanh(GELU_C * Z))
    return 0.5 * Z * (1.0 + np.tanh(GELU_C * (Z + GELU_A * Z**3)))


def _gelu_slope(Z: np.ndarray, form: str = "tanh") -> np.ndarray:
    """gelu'(Z), or the slope of a learner who left a term out."""
    if form == "erf":
        return 0.5 * (1.0 + _erf(Z / math.sqrt(2.0))) + Z * np.exp(-0.5 * Z**2) / math.sqrt(
            2.0 * math.pi
        )
    t = np.tanh(GELU_C * (Z + GELU_A * Z**3))
    du = GELU_C * (1.0 + 3.0 * GELU_A * Z**2)
    if form == "no_tanh_term":  # the product rule's first term, 0.5 * (1 + t), left out
        return 0.5 * Z * (1.0 - t**2) * du
    if form == "no_sech_term":  # the second term, Z times the slope of the tanh, left out
        return 0.5 * (1.0 + t)
    if form == "no_inner_slope":  # the chain through u = sqrt(2/pi) (Z + 0.044715 Z**3) left out
        return 0.5 * (1.0 + t) + 0.5 * Z * (1.0 - t**2)
    if form == "no_cube_slope":  # d/dZ of 0.044715 Z**3 left out
        return 0.5 * (1.0 + t) + 0.5 * Z * (1.0 - t**2) * GELU_C
    if form == "no_z_factor":  # the product rule's second term without its Z
        return 0.5 * (1.0 + t) + 0.5 * (1.0 - t**2) * du
    return 0.5 * (1.0 + t) + 0.5 * Z * (1.0 - t**2) * du


ERF_GELU = (
    "this is the exact GELU, 0.5 * Z * (1 + erf(Z / sqrt(2))); the contract's is the tanh "
    "approximation (GPT-2's, torch's approximate=\"tanh\"): 0.5 * Z * (1 + tanh(sqrt(2 / pi) * "
    "(Z + 0.044715 * Z**3)))."
)
SLOPE_SENTENCES = {
    "no_tanh_term": "gelu'(Z) is missing the product rule's first term: gelu = 0.5 * Z * "
    "(1 + t), so its slope is 0.5 * (1 + t) plus 0.5 * Z times the slope of t.",
    "no_sech_term": "gelu'(Z) is missing the product rule's second term: 0.5 * (1 + t) is only "
    "the part from Z; add 0.5 * Z * (1 - t**2) * du/dZ, the part from t = tanh(u).",
    "no_inner_slope": "the slope of tanh(u) was taken without the chain rule through u: "
    "multiply (1 - t**2) by du/dZ = sqrt(2 / pi) * (1 + 3 * 0.044715 * Z**2).",
    "no_cube_slope": "du/dZ is missing the slope of the cubic term: u = sqrt(2 / pi) * "
    "(Z + 0.044715 * Z**3), so du/dZ = sqrt(2 / pi) * (1 + 3 * 0.044715 * Z**2).",
    "no_z_factor": "the product rule's second term lost its Z: gelu = 0.5 * Z * (1 + t), so "
    "the part from t is 0.5 * Z * (1 - t**2) * du/dZ, with Z in front.",
    "erf": "this is the slope of the exact GELU (erf); the contract's GELU is the tanh "
    "approximation, and gelu_backward is its slope.",
}


def _slope_mistake(form: str) -> Mistake:
    return Mistake(
        None,
        SLOPE_SENTENCES[form],
        lambda ref, c: c.inputs["dA"] * _gelu_slope(c.inputs["Z"], form),
    )


GELU_MISTAKES = (
    Mistake(None, ERF_GELU, lambda ref, c: _gelu(c.inputs["Z"], "erf")),
    Mistake(
        None,
        "the cubic term is missing: u = sqrt(2 / pi) * (Z + 0.044715 * Z**3).",
        lambda ref, c: _gelu(c.inputs["Z"], "no_cube"),
    ),
)
SLOPE_MISTAKES = (
    *(_slope_mistake(form) for form in SLOPE_SENTENCES),
    Mistake(
        "upstream_ignored",
        "you returned the local slope alone: multiply it by the upstream gradient dA.",
        lambda ref, c: ref.gelu_backward(ones_upstream("dA")(c).inputs["dA"], c.inputs["Z"]),
    ),
)


# --- init_gpt ---------------------------------------------------------------------------------

ORDER = ("wte", "wpe", "Wq", "Wk", "Wv", "Wo", "W1", "W2", "Wlm")


def init_cases(rng: np.random.Generator) -> list[Case]:
    """(V, T, C): all different, and V = T = C."""
    made = []
    for V, T, C in [(7, 5, 3), (6, 6, 6)]:
        seed = int(rng.integers(0, 10_000))
        made.append(
            Case(f"V={V}, T={T}, C={C}, seed={seed}", {"V": V, "T": T, "C": C, "seed": seed})
        )
    return made


def _drawn(
    case: Case,
    order: tuple[str, ...] = ORDER,
    scaled: bool = True,
    generator: Any = np.random.default_rng,
    transposed: bool = False,
) -> Params:
    V, T, C, seed = (case.inputs[k] for k in ("V", "T", "C", "seed"))
    shapes = {"wte": (V, C), "wpe": (T, C), "Wq": (C, C), "Wk": (C, C), "Wv": (C, C),
              "Wo": (C, C), "W1": (4 * C, C), "W2": (C, 4 * C), "Wlm": (V, C)}  # fmt: skip
    rng = generator(seed)
    params = {}
    for name in order:
        std = 0.02 / math.sqrt(2.0) if scaled and name in ("Wo", "W2") else 0.02
        shape = shapes[name]
        params[name] = (
            rng.normal(0.0, std, size=shape[::-1]).T
            if transposed
            else rng.normal(0.0, std, size=shape)
        )
    for name in ("ln1", "ln2", "lnf"):
        params[f"{name}_g"], params[f"{name}_b"] = np.ones(C), np.zeros(C)
    params["b1"], params["b2"] = np.zeros(4 * C), np.zeros(C)
    return params


INIT_MISTAKES = (
    Mistake(
        None,
        "Wo and W2 were drawn with std 0.02: the two projections that write into the residual "
        "stream get 0.02 / sqrt(2).",
        lambda ref, c: _drawn(c, scaled=False),
    ),
    Mistake(
        None,
        "the weights were drawn in another order: wte, wpe, Wq, Wk, Wv, Wo, W1, W2, Wlm, one "
        "rng.normal call each, from one generator.",
        lambda ref, c: _drawn(
            c, order=("wte", "wpe", "Wq", "Wk", "Wv", "Wo", "W1", "W2", "Wlm")[::-1]
        ),
    ),
    Mistake(
        None,
        "the weights were drawn in another order: the attention's Wq, Wk, Wv, Wo, then the MLP's "
        "W1, W2, with the embeddings wte, wpe first and Wlm last.",
        lambda ref, c: _drawn(c, order=("Wlm", "wte", "wpe", "Wq", "Wk", "Wv", "Wo", "W1", "W2")),
    ),
    Mistake(
        None,
        "these are the numbers of NumPy's global generator (np.random.seed(seed)): draw from "
        "rng = np.random.default_rng(seed), made once.",
        lambda ref, c: _drawn(c, generator=np.random.RandomState),
    ),
    Mistake(
        "transposed",
        "a weight was drawn with its shape reversed and transposed: draw each with the shape it "
        "has in params, so that the generator fills it row by row.",
        lambda ref, c: _drawn(c, transposed=True),
    ),
)


# --- the network: gpt_forward and gpt_backward ------------------------------------------------


def _params(rng: np.random.Generator, V: int, T: int, C: int) -> Params:
    """Weights far from their initialization, so that every path of the block carries weight,
    gains away from 1 and biases away from 0."""
    shapes = {"wte": (V, C), "wpe": (T, C), "Wq": (C, C), "Wk": (C, C), "Wv": (C, C),
              "Wo": (C, C), "W1": (4 * C, C), "W2": (C, 4 * C), "Wlm": (V, C)}  # fmt: skip
    params = {name: normal(rng, *shape, scale=0.6) for name, shape in shapes.items()}
    for name in ("ln1", "ln2", "lnf"):
        params[f"{name}_g"] = 1.0 + normal(rng, C, scale=0.3)
        params[f"{name}_b"] = normal(rng, C, scale=0.3)
    params["b1"], params["b2"] = normal(rng, 4 * C, scale=0.3), normal(rng, C, scale=0.3)
    return {key: params[key] for key in KEYS}


def network_cases(rng: np.random.Generator) -> list[Case]:
    """Random blocks on token ids with repeats: a token twice in one sequence and once in
    another, so that wte's gradient must add both."""
    made = []
    for B, T, V, T_max, C in NETWORKS:
        idx = rng.integers(0, V, size=(B, T))
        idx[0, -1] = idx[0, 0]
        if B > 1:
            idx[1, 0] = idx[0, 1]
        inputs = {
            "params": _params(rng, V, T_max, C),
            "idx": idx,
            "targets": rng.integers(0, V, size=(B, T)),
        }
        factors = {
            "B": Factor(float(B), "B, the batch size"),
            "T": Factor(float(T), "T, the number of positions"),
            "BT": Factor(float(B * T), "B * T, the number of positions in the batch"),
        }
        label = f"B={B}, T={T}, V={V}, C={C}, wpe of {T_max} rows"
        made.append(Case(label, inputs, factors))
    return made


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _weight(dZ: np.ndarray, X: np.ndarray) -> np.ndarray:
    return dZ.reshape(-1, dZ.shape[-1]).T @ X.reshape(-1, X.shape[-1])


@dataclasses.dataclass(frozen=True)
class Variant:
    """One thing done another way in `_network`."""

    gelu: str = "tanh"  # the forward's GELU ("erf") or, in backward, its slope (_gelu_slope)
    slope: str = "tanh"
    keep_mlp_residual: bool = True  # dx1 = dx2 + (the MLP's branch)
    keep_attention_residual: bool = True  # dx0 = dx1 + (the attention's branch)
    mean_over: str = "BT"  # the loss divided by B * T, or by "B"
    wte: str = "add_at"  # "assigned": dW[idx] += dx0, repeated tokens counted once
    wpe: str = "summed"  # "unpadded": (T, C); "mean": averaged over the batch
    final_norm: bool = True
    b1_before_gelu: bool = False  # db1 summed from the gradient at GELU's output, not its input


def _network(ref: ModuleType, case: Case, variant: Variant = Variant()) -> tuple[float, Params]:
    """The loss and every gradient of the block, with the reference's layernorm and
    attention, and `variant`'s one change."""
    p, idx, targets = case.inputs["params"], case.inputs["idx"], case.inputs["targets"]
    B, T = idx.shape
    V, C = p["wte"].shape
    x0 = p["wte"][idx] + p["wpe"][:T]
    h1 = ref.layernorm_forward(x0, p["ln1_g"], p["ln1_b"], EPS)
    y = ref.causal_attention_forward(h1, p["Wq"], p["Wk"], p["Wv"])
    x1 = x0 + y @ p["Wo"].T
    h2 = ref.layernorm_forward(x1, p["ln2_g"], p["ln2_b"], EPS)
    u = h2 @ p["W1"].T + p["b1"]
    a = _gelu(u, variant.gelu)
    x2 = x1 + a @ p["W2"].T + p["b2"]
    hf = ref.layernorm_forward(x2, p["lnf_g"], p["lnf_b"], EPS) if variant.final_norm else x2
    logits = hf @ p["Wlm"].T
    logp = _log_softmax(logits)
    onehot = np.eye(V)[targets]
    divisor = B * T if variant.mean_over == "BT" else B
    loss = float(-(logp * onehot).sum() / divisor)

    g: Params = {}
    dlogits = (np.exp(logp) - onehot) / divisor
    g["Wlm"] = _weight(dlogits, hf)
    dhf = dlogits @ p["Wlm"]
    if variant.final_norm:
        dx2, g["lnf_g"], g["lnf_b"] = ref.layernorm_backward(dhf, x2, p["lnf_g"], EPS)
    else:
        dx2, g["lnf_g"], g["lnf_b"] = dhf, np.zeros(C), np.zeros(C)
    g["W2"], g["b2"] = _weight(dx2, a), dx2.sum(axis=(0, 1))
    du = (dx2 @ p["W2"]) * _gelu_slope(u, variant.slope)
    g["W1"], g["b1"] = _weight(du, h2), du.sum(axis=(0, 1))
    if variant.b1_before_gelu:
        g["b1"] = (dx2 @ p["W2"]).sum(axis=(0, 1))
    dh2, g["ln2_g"], g["ln2_b"] = ref.layernorm_backward(du @ p["W1"], x1, p["ln2_g"], EPS)
    dx1 = dx2 + dh2 if variant.keep_mlp_residual else dh2
    g["Wo"] = _weight(dx1, y)
    dh1, g["Wq"], g["Wk"], g["Wv"] = ref.causal_attention_backward(
        dx1 @ p["Wo"], h1, p["Wq"], p["Wk"], p["Wv"]
    )
    dg1, g["ln1_g"], g["ln1_b"] = ref.layernorm_backward(dh1, x0, p["ln1_g"], EPS)
    dx0 = dx1 + dg1 if variant.keep_attention_residual else dg1
    g["wte"] = np.zeros((V, C))
    if variant.wte == "assigned":
        g["wte"][idx] += dx0  # what buffered fancy indexing does: one row per distinct token
    else:
        np.add.at(g["wte"], idx, dx0)
    if variant.wpe == "unpadded":
        g["wpe"] = dx0.sum(axis=0)
    elif variant.wpe == "unsummed":
        g["wpe"] = dx0
    else:
        g["wpe"] = np.zeros_like(p["wpe"])
        g["wpe"][:T] = dx0.sum(axis=0) if variant.wpe == "summed" else dx0.mean(axis=0)
    return loss, {key: g[key] for key in p}


NETWORK_VARIANTS: tuple[tuple[Variant, Diagnosis | None, str], ...] = (
    (
        Variant(gelu="erf", slope="erf"),
        None,
        "the block uses the exact GELU (erf); the contract's is the tanh approximation: "
        "fix gelu and gelu_backward first.",
    ),
    (
        Variant(mean_over="B"),
        "scaled",
        "the loss was divided by B only: it is the mean over all B * T positions, and dlogits "
        "carries 1 / (B * T).",
    ),
    (
        Variant(final_norm=False),
        None,
        "the final layernorm is missing: logits = layernorm_f(x2) @ Wlm.T.",
    ),
)
BACKWARD_VARIANTS: tuple[tuple[Variant, Diagnosis | None, str], ...] = (
    *NETWORK_VARIANTS,
    (
        Variant(keep_mlp_residual=False),
        None,
        "the residual's gradient was dropped at x2 = x1 + mlp(x1): x1 reaches x2 by two paths, "
        "so dx1 = dx2 + (the gradient back through the MLP's branch); the two add.",
    ),
    (
        Variant(keep_attention_residual=False),
        None,
        "the residual's gradient was dropped at x1 = x0 + attention(x0): x0 reaches x1 by two "
        "paths, so dx0 = dx1 + (the gradient back through the attention's branch); the two add.",
    ),
    (
        Variant(keep_mlp_residual=False, keep_attention_residual=False),
        None,
        "the residuals' gradients were dropped: x1 = x0 + attention(...) and x2 = x1 + mlp(...) "
        "each pass the gradient straight through as well, dx1 = dx2 + ..., dx0 = dx1 + ....",
    ),
    *(
        (Variant(slope=form), None, f"in gpt_backward's GELU, {SLOPE_SENTENCES[form]}")
        for form in (
            "no_tanh_term",
            "no_sech_term",
            "no_inner_slope",
            "no_cube_slope",
            "no_z_factor",
        )
    ),
    (
        Variant(b1_before_gelu=True),
        None,
        "b1's gradient skipped GELU's slope: b1 is added before the GELU, u = h2 @ W1.T + b1, "
        "so db1 sums du = (dx2 @ W2) * gelu'(u) over batch and positions, as dW1 uses du.",
    ),
    (
        Variant(wte="assigned"),
        None,
        "a token seen more than once got one position's gradient only: dW[idx] += dx0 writes each "
        "row once (NumPy's fancy indexing does not add repeats); use np.add.at(dW, idx, dx0).",
    ),
    (
        Variant(wpe="unsummed"),
        "batch_sum",
        "wpe's gradient keeps one row per sequence: every sequence of the batch uses the same "
        "wpe[:T], so add dx0 up over the batch, dx0.sum(axis=0), into wpe's first T rows.",
    ),
    (
        Variant(wpe="mean"),
        "batch_sum",
        "wpe's gradient was averaged over the batch: every sequence adds its gradient to the "
        "same wpe[:T], so sum over the batch (the 1 / (B * T) is in dlogits already).",
    ),
    (
        Variant(wpe="unpadded"),
        None,
        "wpe's gradient must have wpe's shape: the rows past T, unused by this batch, are zeros.",
    ),
)


def _variant_model(variant: Variant, key: str | None) -> Any:
    def model(ref: ModuleType, case: Case) -> Any:
        loss, grads = _network(ref, case, variant)
        return loss if key is None else grads[key]

    return model


def reference_gradient(key: str) -> Any:
    """The reference's gradient of one key: a check of one key keeps (and a release writes
    down) that array alone, not every gradient of every case of every key's check."""

    def expected(ref: ModuleType, case: Case) -> np.ndarray:
        i = copy.deepcopy(case.inputs)
        _, cache_ = ref.gpt_forward(i["params"], i["idx"], i["targets"])
        return ref.gpt_backward(i["params"], cache_)[key]

    return expected


# the gradients each change of the backward pass reaches, from where it happens back to the
# embeddings (a change of the loss, of the forward's GELU or of the final layernorm reaches all)
BEFORE_X1 = ("wte", "wpe", "Wq", "Wk", "Wv", "Wo", "ln1_g", "ln1_b")
BEFORE_GELU = (*BEFORE_X1, "W1", "b1", "ln2_g", "ln2_b")


def _reaches(variant: Variant) -> tuple[str, ...]:
    if variant.b1_before_gelu:
        return ("b1",)
    if variant.gelu != "tanh" or variant.mean_over != "BT" or not variant.final_norm:
        return KEYS
    if variant.slope != "tanh":
        return BEFORE_GELU
    if not variant.keep_mlp_residual:
        return BEFORE_X1
    if not variant.keep_attention_residual:
        return ("wte", "wpe")
    return ("wte",) if variant.wte != "add_at" else ("wpe",)


def backward_mistakes(key: str) -> tuple[Mistake, ...]:
    """The changes that reach `key`'s gradient: a model of one that does not would only
    repeat the right answer (and a release would write it down for every case)."""
    return tuple(
        Mistake(tag, sentence, _variant_model(variant, key))
        for variant, tag, sentence in BACKWARD_VARIANTS
        if key in _reaches(variant)
    )


LOSS_MISTAKES = tuple(
    Mistake(tag, sentence, _variant_model(variant, None))
    for variant, tag, sentence in NETWORK_VARIANTS
)


# --- the first loss: init_gpt and gpt_forward together ---------------------------------------


def first_loss_cases(rng: np.random.Generator) -> list[Case]:
    made = []
    for B, T, V, C in [(3, 8, 61, 16), (1, 5, 13, 12)]:
        inputs = {"V": V, "T": T, "C": C, "seed": int(rng.integers(0, 10_000)),
                  "idx": rng.integers(0, V, size=(B, T)), "targets": rng.integers(0, V, size=(B, T))}  # fmt: skip
        factors = {"T": Factor(float(T), "T, the number of positions")}
        made.append(Case(f"V={V} (ln V = {math.log(V):.4f}), B={B}, T={T}, C={C}", inputs, factors))
    return made


FIRST_LOSS = Function(
    "init_gpt",
    ("V", "T", "C", "seed", "idx", "targets"),
    first_loss_cases,
    returns="loss",
    driver="first_loss",
    exercise="exercise12",
)


# --- train ---------------------------------------------------------------------------------------

# (V, T of wpe, C, B, T of the windows, steps, lr): every size different, B = 1, windows
# shorter than wpe
TRAININGS = [(7, 6, 4, 3, 5, 4, 0.3), (5, 4, 3, 1, 4, 3, 0.5)]


def train_cases(rng: np.random.Generator) -> list[Case]:
    made = []
    for V, T_max, C, B, T, steps, lr in TRAININGS:
        seed = int(rng.integers(0, 10_000))
        params = {k: 0.5 * v for k, v in _params(rng, V, T_max, C).items()}
        inputs = {"params": params, "ids": rng.integers(0, V, size=40), "steps": steps, "lr": lr,
                  "batch_size": B, "T": T, "seed": seed}  # fmt: skip
        label = f"V={V}, C={C}, batch_size={B}, T={T}, steps={steps}, lr={lr}, seed={seed}"
        made.append(Case(label, inputs))
    return made


def _starts(rng: np.random.Generator, ids: np.ndarray, T: int, B: int, how: str) -> np.ndarray:
    if how == "short":
        return rng.integers(0, len(ids) - T - 1, size=B)
    if how == "permutation":
        return rng.permutation(len(ids) - T)[:B]
    return rng.integers(0, len(ids) - T, size=B)


def _trained(ref: ModuleType, case: Case, how: str = "", reseeded: bool = False,
             unshifted: bool = False) -> tuple[Params, list[float]]:  # fmt: skip
    """What train returns with its batches drawn another way."""
    i = copy.deepcopy(case.inputs)
    ids, T, B = i["ids"], i["T"], i["batch_size"]
    params, losses = i["params"], []
    rng = np.random.default_rng(i["seed"])
    for _ in range(i["steps"]):
        if reseeded:
            rng = np.random.default_rng(i["seed"])
        starts = _starts(rng, ids, T, B, how)
        idx = np.stack([ids[s : s + T] for s in starts])
        shift = 0 if unshifted else 1
        targets = np.stack([ids[s + shift : s + shift + T] for s in starts])
        loss, cache_ = ref.gpt_forward(params, idx, targets)
        grads = ref.gpt_backward(params, cache_)
        params = {k: params[k] - i["lr"] * grads[k] for k in params}
        losses.append(loss)
    return params, losses


TRAIN_VARIANTS: tuple[tuple[dict[str, Any], str], ...] = (
    ({"reseeded": True}, "a generator was made afresh every step, so every step trained on the "
     "same windows: make rng = np.random.default_rng(seed) once, before the loop."),
    ({"how": "permutation"}, "the starts were drawn with rng.permutation: the contract's draw "
     "is rng.integers(0, len(ids) - T, size=batch_size), one call per step."),
    ({"how": "short"}, "the starts were drawn from rng.integers(0, len(ids) - T - 1, ...): the "
     "high end is len(ids) - T (excluded), which already leaves room for the targets."),
    ({"unshifted": True}, "the targets are the inputs themselves: they are the T ids one place "
     "later, ids[s + 1 : s + T + 1]."),
)  # fmt: skip


def _train_model(how: dict[str, Any], item: int) -> Any:
    def model(ref: ModuleType, case: Case) -> Any:
        return _trained(ref, case, **how)[item]

    return model


def _train_mistakes(item: int) -> tuple[Mistake, ...]:
    return tuple(
        Mistake(None, sentence, _train_model(how, item)) for how, sentence in TRAIN_VARIANTS
    )


def _train_baseline(case: Case) -> Params:
    return case.inputs["params"]


# --- training on the course's text, and sampling after it -----------------------------------


@cache
def text_ids() -> tuple[tuple[int, ...], int]:
    """The course's text as character ids (sorted characters), and V."""
    text = course_root().joinpath(*TEXT).read_text(encoding="utf-8")
    chars = sorted(set(text))
    lookup = {ch: i for i, ch in enumerate(chars)}
    return tuple(lookup[ch] for ch in text), len(chars)


def curve_cases(rng: np.random.Generator) -> list[Case]:
    """The course's text, V = its characters, T = 16, C = 16, 60 steps of 8 windows (the loss
    falls from ln V = 4.11 to about 2.6, in a fifth of a second), from a drawn seed."""
    ids, V = text_ids()
    seed = int(rng.integers(0, 10_000))
    inputs = {"ids": np.array(ids), "V": V, "T": 16, "C": 16, "steps": 60, "lr": 1.0,
              "batch_size": 8, "seed": seed}  # fmt: skip
    label = (
        f"the course's text ({len(ids)} characters, V={V}, ln V = {math.log(V):.3f}), seed={seed}"
    )
    return [Case(label, inputs)]


# the sample after training trains on the text's first characters only: 20 steps use few
SAMPLE_TEXT = 1000


def sample_cases(rng: np.random.Generator) -> list[Case]:
    """20 steps on the start of the course's text, then 20 ids after a prompt of 12 from a
    drawn place."""
    ids, V = text_ids()
    seed = int(rng.integers(0, 10_000))
    start = int(rng.integers(0, SAMPLE_TEXT - 12))
    prompt = list(ids[start : start + 12])
    inputs = {"ids": np.array(ids[:SAMPLE_TEXT]), "V": V, "T": 8, "C": 16, "steps": 20,
              "lr": 0.5, "batch_size": 8, "prompt": prompt, "n": 20, "seed": seed}  # fmt: skip
    label = (
        f"20 steps on the text's first {SAMPLE_TEXT} characters (V={V}), then 20 ids after "
        f"ids[{start}:{start + 12}], seed={seed}"
    )
    return [Case(label, inputs)]


CURVE = Function(
    "train",
    ("ids", "V", "T", "C", "steps", "lr", "batch_size", "seed"),
    curve_cases,
    returns="curve",
    driver="text_loss_curve",
    exercise="exercise12",
)
SAMPLE = Function(
    "generate",
    ("ids", "V", "T", "C", "steps", "lr", "batch_size", "prompt", "n", "seed"),
    sample_cases,
    returns="sample",
    driver="sample_after_training",
    exercise="exercise12",
)


def curve_check() -> OutputCheck:
    note = (
        "The curve is your init_gpt and train on the course's text (exercises/data/alice.txt): "
        "its first loss is about ln V, and it falls as the model learns which characters follow "
        "which. Fix the checks of init_gpt, gpt_forward, gpt_backward and train first."
    )
    # train's own checks repeat its seeded calls: 60 steps on the text are not run twice
    return CURVE.output(suffix="", shown="losses", plot="layers", why=note, repeat_seeded=False)


# --- generate --------------------------------------------------------------------------------


def generate_cases(rng: np.random.Generator) -> list[Case]:
    """Peaked distributions (large weights), prompts longer than T, more new ids than T."""
    made = []
    for V, T, C, prompt_length, n in [(9, 5, 8, 7, 12), (6, 4, 6, 1, 9)]:
        params = _params(rng, V, T, C)
        prompt = [int(i) for i in rng.integers(0, V, size=prompt_length)]
        seed = int(rng.integers(0, 10_000))
        label = f"V={V}, T={T}, C={C}, a prompt of {prompt_length}, n={n}, seed={seed}"
        made.append(Case(label, {"params": params, "prompt": prompt, "n": n, "seed": seed}))
    return made


def _generated(ref: ModuleType, case: Case, how: str) -> list[int]:
    p, n = case.inputs["params"], case.inputs["n"]
    V, T = p["wte"].shape[0], p["wpe"].shape[0]
    rng = np.random.default_rng(case.inputs["seed"])
    ids = list(case.inputs["prompt"])
    for _ in range(n):
        context = ids[:T] if how == "first" else ids[-T:]
        if how == "reseeded":
            rng = np.random.default_rng(case.inputs["seed"])
        logits = _logits(ref, p, np.array(context)[None])
        position = 0 if how == "position0" else -1
        probs = np.exp(_log_softmax(logits[0, position]))
        ids.append(int(np.argmax(probs)) if how == "argmax" else int(rng.choice(V, p=probs)))
    return ids[len(case.inputs["prompt"]) :]


def _logits(ref: ModuleType, p: Params, idx: np.ndarray) -> np.ndarray:
    """The logits of the reference block, from the reference's layernorm and attention."""
    T = idx.shape[1]
    x0 = p["wte"][idx] + p["wpe"][:T]
    x1 = (
        x0
        + ref.causal_attention_forward(
            ref.layernorm_forward(x0, p["ln1_g"], p["ln1_b"], EPS), p["Wq"], p["Wk"], p["Wv"]
        )
        @ p["Wo"].T
    )
    h2 = ref.layernorm_forward(x1, p["ln2_g"], p["ln2_b"], EPS)
    x2 = x1 + _gelu(h2 @ p["W1"].T + p["b1"]) @ p["W2"].T + p["b2"]
    return ref.layernorm_forward(x2, p["lnf_g"], p["lnf_b"], EPS) @ p["Wlm"].T


GENERATE_MISTAKES = (
    Mistake(None, "the context was the first T ids: it is the last T ids so far, ids[-T:], so "
            "that each new id follows the ones just before it.",
            lambda ref, c: _generated(ref, c, "first")),
    Mistake(None, "each id was the most likely one (argmax): draw it, rng.choice(V, p=probs).",
            lambda ref, c: _generated(ref, c, "argmax")),
    Mistake(None, "a generator was made afresh for every id: make rng = "
            "np.random.default_rng(seed) once, before the loop.",
            lambda ref, c: _generated(ref, c, "reseeded")),
    Mistake(None, "the probabilities came from the first position's logits: the next id "
            "follows the last position, logits[0, -1].",
            lambda ref, c: _generated(ref, c, "position0")),
)  # fmt: skip
CROP = (
    "The context must be cropped to the last T ids (T = params['wpe'].shape[0]) before each "
    "forward pass: wpe has T rows, so a longer context cannot be embedded."
)


# --- the checks --------------------------------------------------------------------------------

GELU = Function("gelu", ("Z",), gelu_cases, returns="A")
GELU_BACKWARD = Function("gelu_backward", ("dA", "Z"), gelu_cases, returns="dZ")
INIT = Function("init_gpt", ("V", "T", "C", "seed"), init_cases, returns="params", keys=KEYS)
FORWARD = Function(
    "gpt_forward",
    ("params", "idx", "targets"),
    network_cases,
    returns=("loss", "cache"),
    uses=("gelu",),
    advice=LOG_SOFTMAX_ADVICE,  # its loss is a cross-entropy
)
BACKWARD = Function(
    "gpt_backward",
    ("params", "cache"),
    network_cases,
    returns="grads",
    keys=KEYS,
    keys_like="params",
    cache_from=FORWARD,
    uses=("gelu_backward",),
)
TRAIN = Function(
    "train",
    ("params", "ids", "steps", "lr", "batch_size", "T", "seed"),
    train_cases,
    returns=("new_params", "losses"),
    uses=("gpt_forward", "gpt_backward"),
)
GENERATE = Function("generate", ("params", "prompt", "n", "seed"), generate_cases, returns="new")

# what no model of the block can name: a mistake inside the learner's pasted helpers
PASTED = (
    "No mistake of the block itself fits. gpt_backward runs your pasted layernorm_backward "
    "and causal_attention_backward, which are not graded here on their own: paste the very "
    "functions that pass exercises 10 and 11."
)


# GELU has no exp of its own: what overflows for |Z| up to 1000 is Z**3 (1e9, harmless) fed to
# something that grows fast, or tanh's slope written with cosh
GELU_STABILITY = (
    "Large inputs must stay finite without overflow: np.tanh saturates to +-1 safely, but "
    "cosh(u)**2 and exp(2u) overflow for large u. Write tanh's slope with tanh itself, "
    "1 - np.tanh(u)**2, and let u = sqrt(2 / pi) * (Z + 0.044715 * Z**3) go where it will."
)


CHECKS: list[Check] = [
    GELU.output(elementwise=("Z",), mistakes=GELU_MISTAKES),
    GELU.output(
        suffix="stable",
        cases=large_cases,
        stable=True,
        mistakes=GELU_MISTAKES,
        advice=GELU_STABILITY,
    ),
    GELU_BACKWARD.output(
        elementwise=("Z",),
        gradient=gradient_of(GELU, "Z", upstream="dA"),
        mistakes=SLOPE_MISTAKES,
    ),
    GELU_BACKWARD.output(
        suffix="stable",
        cases=large_cases,
        stable=True,
        mistakes=SLOPE_MISTAKES,
        advice=GELU_STABILITY,
    ),
    INIT.output(mistakes=INIT_MISTAKES, shown="params"),
    FORWARD.output("loss", mistakes=LOSS_MISTAKES),
    FIRST_LOSS.output(suffix="", shown="loss", mistakes=()),
    *(
        BACKWARD.output(
            key,
            expected=reference_gradient(key),
            mistakes=backward_mistakes(key),
            unnamed=PASTED,
        )
        for key in KEYS
    ),
    TRAIN.output(
        "new_params",
        suffix="params",
        baseline=_train_baseline,
        mistakes=_train_mistakes(0),
    ),
    TRAIN.output("losses", mistakes=_train_mistakes(1)),
    curve_check(),
    GENERATE.output(
        mistakes=GENERATE_MISTAKES, errors=(("ValueError", CROP), ("IndexError", CROP))
    ),
    SAMPLE.output(
        suffix="",
        shown="the count of new ids, and of valid ones",
        repeat_seeded=False,  # generate's own check repeats its calls
        errors=(("ValueError", CROP), ("IndexError", CROP)),
    ),
    arguments_unchanged(INIT, FORWARD, BACKWARD, TRAIN, GENERATE, GELU, GELU_BACKWARD),
]
