"""exercise07: deep networks, vanishing and exploding gradients.

L linear layers with an activation between them, the initializations that keep a signal's
size through them, what to measure (each layer's gradient norm, the saturated units) and
global-norm clipping. A network's params, grads and clipped dicts have one W and one b per
layer, so their keys change from case to case: those outputs are judged whole, as dicts, each
key against the reference's (grader.checks.base judges a dict key by key and names a missing
or an extra key).
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

from grader.checks.base import Case, Check, Mistake, OutputCheck
from grader.checks.inputs import batch_factors, case_label, normal
from grader.checks.spec import CaseMaker, Function, arguments_unchanged, gradient_of
from grader.judge.diagnose import Factor

Params = dict[str, np.ndarray]
ACTIVATIONS = ("relu", "tanh", "sigmoid")

# (N, sizes): the first with every size different (and none 2), N = 1, a square network (a
# transpose fits every shape) and ten layers (W10 sorts before W2); small, as a release
# writes down every value the reference returns on them
NETWORKS = [
    (3, (5, 6, 7, 4)),
    (1, (3, 6, 5, 4, 2)),
    (4, (4, 4, 4, 4, 4)),
    (2, (4, 5, 3, 6, 4, 5, 3, 6, 5, 4, 3)),
]
# the sizes init_weights is asked for: fan_in differs from fan_out in every layer (so a
# fan_out in place of a fan_in, or a W drawn (fan_in, fan_out), changes the numbers), one
# layer alone, and ten
INIT_SIZES = [(5, 8, 3), (3, 7, 6, 2), (4, 9), (6, 3, 5, 2, 4, 7, 2, 5, 3, 4, 6)]
STDS: dict[str, Callable[[int, int], float]] = {
    "xavier": lambda fan_in, fan_out: float(np.sqrt(2.0 / (fan_in + fan_out))),
    "he": lambda fan_in, fan_out: float(np.sqrt(2.0 / fan_in)),
    "small": lambda fan_in, fan_out: 0.01,
    "unit": lambda fan_in, fan_out: 1.0,
}


# --- init_weights ------------------------------------------------------------------------------


def init_cases(*schemes: str) -> CaseMaker:
    """Each size list under each scheme, with a seed drawn from rng (so a second draw has
    another seed, and a result kept from the last call is caught)."""

    def cases(rng: np.random.Generator) -> list[Case]:
        made = []
        for scheme in schemes:
            for sizes in INIT_SIZES:
                seed = int(rng.integers(0, 10_000))
                label = f"sizes={list(sizes)}, scheme={scheme!r}, seed={seed}"
                made.append(Case(label, {"sizes": list(sizes), "scheme": scheme, "seed": seed}))
        return made

    return cases


def _drawn(
    case: Case,
    std: Callable[[int, int], float] | None = None,
    draw: Callable[[Any, float, int, int], np.ndarray] | None = None,
    generator: Callable[[int], Any] = np.random.default_rng,
    reseeded: bool = False,
) -> Params:
    """The params of init_weights drawn another way: another std, another draw of each W
    from the generator, another generator, or a generator made afresh for every layer."""
    sizes, seed = case.inputs["sizes"], case.inputs["seed"]
    std = std or STDS[case.inputs["scheme"]]
    draw = draw or (lambda rng, s, fan_in, fan_out: rng.normal(0.0, s, size=(fan_out, fan_in)))
    rng = generator(seed)
    params = {}
    for layer in range(1, len(sizes)):
        fan_in, fan_out = sizes[layer - 1], sizes[layer]
        if reseeded:
            rng = generator(seed)
        params[f"W{layer}"] = draw(rng, std(fan_in, fan_out), fan_in, fan_out)
        params[f"b{layer}"] = np.zeros(fan_out)
    return params


INIT_MISTAKES = (
    Mistake(
        "transposed",
        "each W was drawn with the shape (fan_in, fan_out) (and transposed, or not): draw it "
        "with the shape it has in params, rng.normal(0.0, std, size=(fan_out, fan_in)), so the "
        "generator's numbers fill it row by row as everyone else's do.",
        lambda ref, c: _drawn(c, draw=lambda rng, s, i, o: rng.normal(0.0, s, size=(i, o)).T),
    ),
    Mistake(
        "transposed",
        "each W was drawn with the shape (fan_in, fan_out); W_l is (sizes[l], sizes[l-1]), "
        "(fan_out, fan_in), as nn.Linear lays it out: rng.normal(0.0, std, size=(fan_out, fan_in)).",
        lambda ref, c: _drawn(c, draw=lambda rng, s, i, o: rng.normal(0.0, s, size=(i, o))),
    ),
    Mistake(
        None,
        "these are the numbers of NumPy's global generator seeded with np.random.seed(seed): "
        "draw from a generator of your own, rng = np.random.default_rng(seed), made once.",
        lambda ref, c: _drawn(c, generator=np.random.RandomState),
    ),
    Mistake(
        None,
        "every layer's W starts the generator afresh (np.random.default_rng(seed) inside the "
        "loop), so the layers share their first numbers: make one generator before the loop "
        "and draw W1, W2, ... from it in turn.",
        lambda ref, c: _drawn(c, reseeded=True),
    ),
)
HE_MISTAKES = (
    Mistake(
        "scaled",
        "the std was computed from fan_out, sqrt(2 / fan_out); He's is sqrt(2 / fan_in), "
        "fan_in = sizes[l-1], the number of inputs each unit adds up.",
        lambda ref, c: _drawn(c, std=lambda fan_in, fan_out: float(np.sqrt(2.0 / fan_out))),
    ),
)
XAVIER_MISTAKES = (
    Mistake(
        "scaled",
        "the std is sqrt(6 / (fan_in + fan_out)), the bound a of Xavier's uniform draw "
        "U(-a, a); the normal draw's std is sqrt(2 / (fan_in + fan_out)).",
        lambda ref, c: _drawn(
            c, std=lambda fan_in, fan_out: float(np.sqrt(6.0 / (fan_in + fan_out)))
        ),
    ),
    Mistake(
        "scaled",
        "the std is sqrt(1 / fan_in), LeCun's; Xavier's averages the two fans: "
        "sqrt(2 / (fan_in + fan_out)), so the backward pass keeps its scale too.",
        lambda ref, c: _drawn(c, std=lambda fan_in, fan_out: float(np.sqrt(1.0 / fan_in))),
    ),
    Mistake(
        "scaled",
        "the std is sqrt(2 / fan_in), He's (made for ReLU, which zeroes half its inputs); "
        "Xavier's is sqrt(2 / (fan_in + fan_out)).",
        lambda ref, c: _drawn(c, std=lambda fan_in, fan_out: float(np.sqrt(2.0 / fan_in))),
    ),
    Mistake(
        "scaled",
        "the std is sqrt(1 / (fan_in + fan_out)); Xavier's normal draw has a 2 on top: "
        "sqrt(2 / (fan_in + fan_out)).",
        lambda ref, c: _drawn(
            c, std=lambda fan_in, fan_out: float(np.sqrt(1.0 / (fan_in + fan_out)))
        ),
    ),
)


# --- deep_forward and deep_backward ------------------------------------------------------------


def network_cases(activation: str) -> CaseMaker:
    """Random networks of two to ten layers under `activation`, with biases far from zero
    (ReLU units stay alive, tanh and sigmoid off centre) and weights that keep the signal's
    size: the values are clear of the ReLU's kink and of saturation, so that each mistake
    changes the numbers."""

    def cases(rng: np.random.Generator) -> list[Case]:
        made = []
        for n, sizes in NETWORKS:
            params = {}
            for layer in range(1, len(sizes)):
                fan_in, fan_out = sizes[layer - 1], sizes[layer]
                params[f"W{layer}"] = normal(rng, fan_out, fan_in, scale=1.5 / np.sqrt(fan_in))
                params[f"b{layer}"] = normal(rng, fan_out, scale=0.5) + 0.3
            inputs = {
                "params": params,
                "X": normal(rng, n, sizes[0]),
                "activation": activation,
                "dY_hat": normal(rng, n, sizes[-1]),
            }
            factors = batch_factors(N=n, D=sizes[0], C=sizes[-1])
            label = f"{case_label(N=n)}, sizes={list(sizes)}, activation={activation!r}"
            made.append(Case(label, inputs, factors))
        return made

    return cases


def _act(Z: np.ndarray, activation: str) -> np.ndarray:
    if activation == "relu":
        return np.maximum(Z, 0.0)
    if activation == "tanh":
        return np.tanh(Z)
    return 1.0 / (1.0 + np.exp(-Z))


def _slope(Z: np.ndarray, activation: str) -> np.ndarray:
    if activation == "relu":
        return (Z > 0).astype(np.float64)
    if activation == "tanh":
        return 1.0 - np.tanh(Z) ** 2
    s = _act(Z, activation)
    return s * (1.0 - s)


def _network(
    case: Case, last_activated: bool = False, slope_of_output: bool = False
) -> tuple[np.ndarray, Params]:
    """Y_hat and the grads of this case's network, computed another way: with the activation
    after the last layer too, or with each slope taken at the layer's output A instead of Z."""
    params, X = case.inputs["params"], case.inputs["X"]
    dY, activation = case.inputs["dY_hat"], case.inputs["activation"]
    L = len(params) // 2
    inputs, Zs, A = [], [], X
    for layer in range(1, L + 1):
        inputs.append(A)
        Z = A @ params[f"W{layer}"].T + params[f"b{layer}"]
        Zs.append(Z)
        A = _act(Z, activation) if layer < L or last_activated else Z

    def slope(layer: int) -> np.ndarray:
        Z = Zs[layer - 1]
        return _slope(_act(Z, activation) if slope_of_output else Z, activation)

    grads = {}
    dZ = dY * slope(L) if last_activated else dY
    for layer in range(L, 0, -1):
        grads[f"W{layer}"] = dZ.T @ inputs[layer - 1]
        grads[f"b{layer}"] = dZ.sum(axis=0)
        if layer > 1:
            dZ = (dZ @ params[f"W{layer}"]) * slope(layer - 1)
    return A, grads


def numeric_grads(ref: ModuleType, case: Case) -> Params:
    """The second oracle of deep_backward: central differences of the reference forward
    with respect to each parameter of this case's network (its keys follow its depth)."""
    return {
        key: gradient_of(FORWARD, f"params.{key}", upstream="dY_hat", output=0)(ref, case)
        for key in case.inputs["params"]
    }


FORWARD_MISTAKES = (
    Mistake(
        None,
        "the activation was applied after the last layer too; the output layer is linear: "
        "Y_hat = Z_L, the activation goes after every layer but the last.",
        lambda ref, c: _network(c, last_activated=True)[0],
    ),
)
BACKWARD_MISTAKES = (
    Mistake(
        None,
        "the output's gradient went through the activation's slope: the last layer has no "
        "activation, so dZ_L = dY_hat (and its forward pass must not apply one either).",
        lambda ref, c: _network(c, last_activated=True)[1],
    ),
    Mistake(
        None,
        "each slope was computed from the layer's activation A as if it were Z (the slope's "
        "formula applied to act(Z)): take it at Z, or write it in terms of A (1 - A**2 for "
        "tanh, A * (1 - A) for sigmoid).",
        lambda ref, c: _network(c, slope_of_output=True)[1],
    ),
)


# --- gradient_norms, saturation, clip_grad_norm -----------------------------------------------


def _drawn_grads(rng: np.random.Generator, sizes: tuple[int, ...], backwards: bool) -> Params:
    """A grads dict whose layers' norms differ (each W's scale is its own), in layer order or
    in the order a backward pass fills it (the last layer first)."""
    layers = range(len(sizes) - 1, 0, -1) if backwards else range(1, len(sizes))
    grads = {}
    for layer in layers:
        fan_in, fan_out = sizes[layer - 1], sizes[layer]
        scale = float(rng.uniform(0.1, 3.0))
        grads[f"W{layer}"] = normal(rng, fan_out, fan_in, scale=scale)
        grads[f"b{layer}"] = normal(rng, fan_out, scale=scale)
    return grads


def norm_cases(rng: np.random.Generator) -> list[Case]:
    made = []
    for index, (_, sizes) in enumerate(NETWORKS):
        backwards = index % 2 == 0 or len(sizes) > 10
        order = "last layer first" if backwards else "first layer first"
        label = f"sizes={list(sizes)}, keys {order}"
        made.append(Case(label, {"grads": _drawn_grads(rng, sizes, backwards)}))
    return made


def _weights(grads: Params, order: Callable[[list[str]], list[str]]) -> list[np.ndarray]:
    return [grads[key] for key in order([k for k in grads if k.startswith("W")])]


def _by_layer(keys: list[str]) -> list[str]:
    return sorted(keys, key=lambda key: int(key[1:]))


def _norms(grads: Params, order: Callable[[list[str]], list[str]] = _by_layer) -> np.ndarray:
    return np.array([np.sqrt(np.sum(W**2)) for W in _weights(grads, order)])


NORM_MISTAKES = (
    Mistake(
        None,
        "the norms come in the order of the dict's keys, which is the order they were put in "
        "(a backward pass puts the last layer first): take W1, W2, ... by layer number.",
        lambda ref, c: _norms(c.inputs["grads"], order=list),
    ),
    Mistake(
        None,
        "the norms are in the order of the sorted keys, and 'W10' sorts before 'W2': take the "
        "layers by number, W1, W2, ..., WL.",
        lambda ref, c: _norms(c.inputs["grads"], order=sorted),
    ),
    Mistake(
        None,
        "the norms come last layer first; gradient_norms gives layer 1 first.",
        lambda ref, c: _norms(c.inputs["grads"])[::-1],
    ),
    Mistake(
        None,
        "these are the squared norms, sum(dW**2): the Frobenius norm is its square root.",
        lambda ref, c: _norms(c.inputs["grads"]) ** 2,
    ),
)

# (N, H) of a hidden activation: every size different, N = 1, a square, a larger one
ACTIVATION_SHAPES = [(3, 7), (1, 5), (4, 4), (6, 10)]


def saturation_cases(rng: np.random.Generator) -> list[Case]:
    """Hidden activations with some units saturated (on both sides for tanh and sigmoid),
    none at a threshold itself, and ReLU outputs with exact zeros."""
    made = []
    for activation in ACTIVATIONS:
        for n, h in ACTIVATION_SHAPES:
            Z = normal(rng, n, h, scale=2.5)
            A = _act(Z, activation)
            factors = {"size": Factor(float(A.size), "A.size, the number of units")}
            label = f"A of shape ({n}, {h}), activation={activation!r}"
            made.append(Case(label, {"A": A, "activation": activation}, factors))
    return made


def _only(activation: str, saturated: Callable[[np.ndarray], np.ndarray]) -> Any:
    def model(ref: ModuleType, case: Case) -> float:
        if case.inputs["activation"] != activation:
            raise LookupError("another activation's mistake")
        return float(np.mean(saturated(case.inputs["A"])))

    return model


SATURATION_MISTAKES = (
    Mistake(
        None,
        "only tanh's units near +1 were counted: a tanh unit is saturated near -1 too, "
        "abs(A) > 0.97.",
        _only("tanh", lambda A: A > 0.97),
    ),
    Mistake(
        None,
        "only sigmoid's units near 1 were counted: a sigmoid unit is saturated near 0 too, "
        "A < 0.03.",
        _only("sigmoid", lambda A: A > 0.97),
    ),
)


def clip_cases(rng: np.random.Generator) -> list[Case]:
    """max_norm far below the total norm (one gradient alone is longer than it), above it
    (the factor must be 1), and between the longest single gradient and the total (clipping
    each tensor by its own norm would change nothing)."""
    made = []
    for index, (_, sizes) in enumerate(NETWORKS[:3]):
        grads = _drawn_grads(rng, sizes, backwards=index == 1)
        norms = [float(np.sqrt(np.sum(g**2))) for g in grads.values()]
        total = float(np.sqrt(sum(n**2 for n in norms)))
        fraction = float(rng.uniform(0.3, 0.9))
        max_norm = [
            0.5 * max(norms),
            total * (1.5 + fraction),
            max(norms) + fraction * (total - max(norms)),
        ][index]
        label = f"sizes={list(sizes)}, max_norm={max_norm:.4g}, total norm {total:.4g}"
        made.append(Case(label, {"grads": grads, "max_norm": max_norm}))
    return made


def _total(grads: Params, keys: Callable[[str], bool] = lambda key: True) -> float:
    return float(np.sqrt(sum(np.sum(g**2) for k, g in grads.items() if keys(k))))


def _scaled_by(case: Case, factor: Callable[[np.ndarray, float, float], float]) -> Params:
    grads, max_norm = case.inputs["grads"], case.inputs["max_norm"]
    total = _total(grads)
    return {k: g * factor(g, total, max_norm) for k, g in grads.items()}


CLIPPED_MISTAKES = (
    Mistake(
        None,
        "each gradient was clipped by its own norm: clipping is by the global norm of all the "
        "gradients together, one factor min(1, max_norm / (total_norm + 1e-6)) for every key, "
        "so that the step keeps its direction.",
        lambda ref, c: _scaled_by(
            c, lambda g, total, m: min(1.0, m / (float(np.sqrt(np.sum(g**2))) + 1e-6))
        ),
    ),
    Mistake(
        "scaled",
        "the factor max_norm / (total_norm + 1e-6) was used uncapped, so short gradients were "
        "stretched: the factor is min(1, max_norm / (total_norm + 1e-6)).",
        lambda ref, c: _scaled_by(c, lambda g, total, m: m / (total + 1e-6)),
    ),
    Mistake(
        None,
        "the total norm was taken over the dW alone: it is over every gradient, dW and db.",
        lambda ref, c: {
            k: g * min(1.0, c.inputs["max_norm"] / (_total(c.inputs["grads"], _is_weight) + 1e-6))
            for k, g in c.inputs["grads"].items()
        },
    ),
    Mistake(
        None,
        "the factor is max_norm / total_norm without the 1e-6: the contract (and torch) use "
        "min(1, max_norm / (total_norm + 1e-6)).",
        lambda ref, c: _scaled_by(c, lambda g, total, m: min(1.0, m / total)),
    ),
)


def _is_weight(key: str) -> bool:
    return key.startswith("W")


TOTAL_MISTAKES = (
    Mistake(
        None,
        "that is the norm after clipping; total_norm is the global norm of the gradients you "
        "were given, before clipping.",
        lambda ref, c: min(_total(c.inputs["grads"]), c.inputs["max_norm"]),
    ),
    Mistake(
        None,
        "total_norm was taken over the dW alone: it is over every gradient, dW and db.",
        lambda ref, c: _total(c.inputs["grads"], _is_weight),
    ),
    Mistake(
        None,
        "total_norm is the sum of each gradient's norm; it is the norm of all of them together, "
        "the square root of the sum of every squared element.",
        lambda ref, c: float(sum(np.sqrt(np.sum(g**2)) for g in c.inputs["grads"].values())),
    ),
    Mistake(
        None,
        "total_norm is the sum of the squares; take its square root.",
        lambda ref, c: _total(c.inputs["grads"]) ** 2,
    ),
)


# --- the picture: vanishing and exploding, with the learner's own functions -----------------

# ten layers; each activation with the initialization that suits it and one that does not
PICTURE_SIZES = [8, *([16] * 9), 4]
PICTURES = [
    ("sigmoid", "small"),
    ("sigmoid", "xavier"),
    ("tanh", "xavier"),
    ("tanh", "unit"),
    ("relu", "he"),
    ("relu", "unit"),
]


def picture_cases(rng: np.random.Generator) -> list[Case]:
    made = []
    for activation, scheme in PICTURES:
        inputs = {
            "sizes": list(PICTURE_SIZES),
            "X": normal(rng, 8, PICTURE_SIZES[0]),
            "dY_hat": normal(rng, 8, PICTURE_SIZES[-1]),
            "activation": activation,
            "scheme": scheme,
        }
        made.append(Case(f"{activation}, {scheme}", inputs))
    return made


# the driver runs init_weights, deep_forward, deep_backward, gradient_norms and saturation
PICTURE = Function(
    "deep_backward",
    ("sizes", "X", "dY_hat", "activation", "scheme"),
    picture_cases,
    returns="picture",
    driver="deep_picture",
    exercise="exercise07",
)


def picture_check() -> OutputCheck:
    """Each layer's gradient norm and each hidden layer's saturation on ten-layer networks,
    judged against the reference's, and handed to the report for the picture."""
    note = (
        "The picture is your init_weights, deep_forward, deep_backward, gradient_norms and "
        "saturation together on ten layers (each hidden layer's A is the output of the layers "
        "before it and an identity layer): fix the checks of those first."
    )
    return PICTURE.output(suffix="", shown="picture", plot="layers", why=note)


# --- the checks --------------------------------------------------------------------------------

INIT = Function("init_weights", ("sizes", "scheme", "seed"), returns="params")
FORWARD = Function(
    "deep_forward",
    ("params", "X", "activation"),
    network_cases("relu"),
    returns=("Y_hat", "cache"),
)
BACKWARD = Function(
    "deep_backward",
    ("params", "cache", "dY_hat"),
    network_cases("relu"),
    returns="grads",
    cache_from=FORWARD,
    return_shape="a dict with the keys of params",
)
NORMS = Function("gradient_norms", ("grads",), norm_cases, returns="norms")
SATURATION = Function("saturation", ("A", "activation"), saturation_cases, returns="fraction")
CLIP = Function(
    "clip_grad_norm", ("grads", "max_norm"), clip_cases, returns=("clipped", "total_norm")
)

CHECKS: list[Check] = [
    INIT.output(suffix="he", cases=init_cases("he"), mistakes=(*HE_MISTAKES, *INIT_MISTAKES)),
    INIT.output(
        suffix="xavier",
        cases=init_cases("xavier"),
        mistakes=(*XAVIER_MISTAKES, *INIT_MISTAKES),
    ),
    INIT.output(suffix="small_and_unit", cases=init_cases("small", "unit"), mistakes=INIT_MISTAKES),
    *(
        FORWARD.output(
            "Y_hat", suffix=activation, cases=network_cases(activation), mistakes=FORWARD_MISTAKES
        )
        for activation in ACTIVATIONS
    ),
    *(
        BACKWARD.output(
            suffix=activation,
            cases=network_cases(activation),
            mistakes=BACKWARD_MISTAKES,
            gradient=numeric_grads,
        )
        for activation in ACTIVATIONS
    ),
    NORMS.output(mistakes=NORM_MISTAKES),
    SATURATION.output(mistakes=SATURATION_MISTAKES),
    CLIP.output("clipped", mistakes=CLIPPED_MISTAKES),
    CLIP.output("total_norm", mistakes=TOTAL_MISTAKES),
    picture_check(),
    arguments_unchanged(INIT, FORWARD, BACKWARD, NORMS, SATURATION, CLIP),
]
