"""Drivers of exercise09: torch models, optimizers and losses built from plain numbers, the
learner's training functions and custom autograd Functions run on them, and what happened
read back as plain data.

Nothing here is an answer: a driver builds what the caller of the learner's function would
(a small nn.Sequential of Linear and Tanh in float64, SGD with momentum, a mean loss), makes
the call, and reports what it can see from outside: the returned value and its type, the
parameters and their .grad afterwards, the mode of every module and whether gradients were
on while the model ran, what a Function's backward returned and what its ctx kept.

Before every training call each parameter's .grad is filled with stale numbers, as a
previous step would have left them, so code that never clears them is seen to use them.
"""

from __future__ import annotations

import itertools
from types import ModuleType
from typing import Any

import numpy as np
import torch
from torch import nn

DTYPE = torch.float64


# ---------------------------------------------------------------- building from plain data


def build(net: dict[str, Any]) -> tuple[nn.Module, torch.optim.Optimizer, nn.Module]:
    """The model, its optimizer and the loss that `net` describes.

    net: sizes (D_in, H, D_out), seed (of the parameters and of the stale gradients),
    cross_entropy (the loss, else the mean squared error), lr, momentum, training (the mode
    of every module when handed over), frozen (the first layer's bias takes no gradient),
    unused (an extra parameter that no forward pass uses, so it gets no gradient either)."""
    d_in, hidden, d_out = (int(n) for n in net["sizes"])
    rng = np.random.default_rng(int(net["seed"]))
    model = nn.Sequential(
        nn.Linear(d_in, hidden, dtype=DTYPE), nn.Tanh(), nn.Linear(hidden, d_out, dtype=DTYPE)
    )
    with torch.no_grad():
        for layer in (model[0], model[2]):
            layer.weight.copy_(_tensor(rng.normal(0.0, 0.7, size=tuple(layer.weight.shape))))
            layer.bias.copy_(_tensor(rng.normal(0.0, 0.5, size=tuple(layer.bias.shape))))
    if net.get("unused"):
        model.register_parameter("unused", nn.Parameter(_tensor(rng.normal(size=(d_out,)))))
    if net.get("frozen"):
        model[0].bias.requires_grad_(False)
    for parameter in model.parameters():  # what an earlier step left behind
        parameter.grad = _tensor(rng.normal(size=tuple(parameter.shape)))
    model.train(bool(net["training"]))
    optimizer = torch.optim.SGD(
        model.parameters(), lr=float(net["lr"]), momentum=float(net["momentum"])
    )
    loss_fn: nn.Module = nn.CrossEntropyLoss() if net["cross_entropy"] else nn.MSELoss()
    return model, optimizer, loss_fn


def _tensor(values: Any) -> torch.Tensor:
    return torch.tensor(np.asarray(values), dtype=DTYPE)


def _targets(y: Any) -> torch.Tensor:
    """Class indices stay integers (cross-entropy); anything else is float64."""
    array = np.asarray(y)
    if array.dtype.kind in "iu":
        return torch.tensor(array, dtype=torch.long)
    return torch.tensor(array, dtype=DTYPE)


def _loss(value: Any) -> dict[str, float]:
    """The returned loss as a number, and whether it is a Python float (as the contract asks)
    rather than a tensor, which keeps the whole graph of its forward pass alive."""
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise TypeError(
                f"the loss returned has shape {tuple(value.shape)}; return one number, the mean"
            )
        return {"value": float(value.detach().reshape(())), "python_float": 0.0}
    if isinstance(value, bool) or not isinstance(value, float | np.floating | int):
        raise TypeError(f"the loss returned is a {type(value).__name__}, not a Python float")
    return {"value": float(value), "python_float": 1.0 if isinstance(value, float) else 0.0}


def _parameters(model: nn.Module) -> dict[str, Any]:
    return {name: p.detach().clone() for name, p in model.named_parameters()}


def _grads(model: nn.Module) -> dict[str, Any]:
    """Each parameter's .grad; NaN where it is None (cleared, and no gradient came since)."""
    return {
        name: (torch.full_like(p, float("nan")) if p.grad is None else p.grad.detach().clone())
        for name, p in model.named_parameters()
    }


def _modes(model: nn.Module) -> np.ndarray:
    """1 for each module (the model first) in training mode, 0 in evaluation mode."""
    return np.array([1.0 if m.training else 0.0 for m in model.modules()])


class Watch:
    """What the model's layers saw while they ran: each one's mode, and whether gradients
    were on. The layers (the modules without submodules) do the computing, however the
    model is called (model(X) or model.forward(X))."""

    def __init__(self, model: nn.Module) -> None:
        self.layers = [m for m in model.modules() if next(m.children(), None) is None]
        self.modes: dict[int, float] = {}
        self.grad_enabled = 0.0
        self.handles = [
            layer.register_forward_pre_hook(self._seen(i)) for i, layer in enumerate(self.layers)
        ]

    def _seen(self, index: int) -> Any:
        def hook(module: nn.Module, inputs: Any) -> None:
            self.modes[index] = min(self.modes.get(index, 1.0), 1.0 if module.training else 0.0)
            if torch.is_grad_enabled():
                self.grad_enabled = 1.0

        return hook

    def modes_in_forward(self) -> np.ndarray:
        """1 for each layer that ran in training mode every time, 0 otherwise."""
        if len(self.modes) < len(self.layers):
            raise RuntimeError("the model was never called on X: run model(X) in your function")
        return np.array([self.modes[i] for i in range(len(self.layers))])

    def close(self) -> None:
        for handle in self.handles:
            handle.remove()


# ---------------------------------------------------------------- the training loop


def train_step(module: ModuleType, net: dict[str, Any], X: Any, y: Any) -> dict[str, Any]:
    """One train_step from stale gradients: the loss, and the parameters, their .grad and the
    modes the model ran in, afterwards."""
    model, optimizer, loss_fn = build(net)
    watch = Watch(model)
    loss = module.train_step(model, optimizer, loss_fn, _tensor(X), _targets(y))
    watch.close()
    return {
        "loss": _loss(loss),
        "params": _parameters(model),
        "grads": _grads(model),
        "mode": watch.modes_in_forward(),
    }


def evaluate(module: ModuleType, net: dict[str, Any], X: Any, y: Any) -> dict[str, Any]:
    """One evaluate: the loss; whether the model ran with gradients on and what became of the
    stale .grad; the modes while it ran and afterwards."""
    model, _, loss_fn = build(net)
    watch = Watch(model)
    loss = module.evaluate(model, loss_fn, _tensor(X), _targets(y))
    watch.close()
    return {
        "loss": _loss(loss),
        "graph": {"grad_enabled": watch.grad_enabled, **_grads(model)},
        "mode": {"in_forward": watch.modes_in_forward(), "after": _modes(model)},
    }


def accumulated_step(
    module: ModuleType, net: dict[str, Any], X: Any, y: Any, sizes: list[int]
) -> dict[str, Any]:
    """One accumulated_step from stale gradients over (X, y) split into micro-batches of these
    sizes, in order: the mean loss, and the parameters and the modes the model ran in,
    afterwards."""
    model, optimizer, loss_fn = build(net)
    watch = Watch(model)
    X_t, y_t = _tensor(X), _targets(y)
    bounds = np.cumsum([0, *sizes])
    batches = [(X_t[a:b].clone(), y_t[a:b].clone()) for a, b in itertools.pairwise(bounds)]
    loss = module.accumulated_step(model, optimizer, loss_fn, batches)
    watch.close()
    return {
        "loss": _loss(loss),
        "params": _parameters(model),
        "mode": watch.modes_in_forward(),
    }


# ---------------------------------------------------------------- custom autograd Functions


def _backward_of(function: Any, output: torch.Tensor, upstream: Any) -> tuple[Any, ...]:
    """What the Function's backward returns, called as torch calls it: with the ctx its
    forward filled (the output's grad_fn) and the upstream gradient. Judged as returned,
    before torch would reshape or sum anything."""
    ctx = output.grad_fn
    if ctx is None:
        raise TypeError("the output has no grad_fn: return the result of forward as computed")
    with torch.no_grad():
        returned = function.backward(ctx, _tensor(upstream))
    return returned if isinstance(returned, tuple) else (returned,)


def linear_function(module: ModuleType, X: Any, W: Any, b: Any, dZ: Any) -> dict[str, Any]:
    """LinearFunction.apply(X, W, b), and its backward's (dX, dW, db) for the upstream dZ."""
    inputs = [_tensor(v).requires_grad_(True) for v in (X, W, b)]
    Z = module.LinearFunction.apply(*inputs)
    grads = _backward_of(module.LinearFunction, Z, dZ)
    if len(grads) != 3:
        raise TypeError(
            f"LinearFunction.backward returned {len(grads)} gradient"
            f"{'s' if len(grads) != 1 else ''}; it returns one per input of forward, in order: "
            "(dX, dW, db)"
        )
    dX, dW, db = grads
    return {"Z": Z, "dX": dX, "dW": dW, "db": db}


def sigmoid_function(module: ModuleType, Z: Any, dA: Any) -> dict[str, Any]:
    """SigmoidFunction.apply(Z), its backward's dZ for the upstream dA, and whether its ctx
    kept the output A (saved, or held on the ctx) for the backward pass."""
    Z_t = _tensor(Z).requires_grad_(True)
    A = module.SigmoidFunction.apply(Z_t)
    ctx = A.grad_fn
    kept = list(getattr(ctx, "saved_tensors", ()) or ()) if ctx is not None else []
    kept += [v for v in vars(ctx).values() if isinstance(v, torch.Tensor)] if ctx else []
    keeps_output = any(t.shape == A.shape and torch.equal(t.detach(), A.detach()) for t in kept)
    grads = _backward_of(module.SigmoidFunction, A, dA)
    if len(grads) != 1:
        raise TypeError(
            f"SigmoidFunction.backward returned {len(grads)} gradients; forward takes one "
            "input, Z, so backward returns one gradient, dZ"
        )
    return {"A": A, "dZ": grads[0], "saved": 1.0 if keeps_output else 0.0}


def _jacobian(function: Any, inputs: list[torch.Tensor]) -> np.ndarray:
    """d output / d inputs through torch's autograd, which calls the Function's backward:
    one row per output element, one column per input element (the inputs flattened and
    joined in order). What torch.autograd.gradcheck calls the analytical Jacobian."""
    output = function(*inputs)
    rows = []
    for index in range(output.numel()):
        upstream = torch.zeros_like(output).reshape(-1)
        upstream[index] = 1.0
        grads = torch.autograd.grad(
            output, inputs, upstream.reshape(output.shape), retain_graph=True, allow_unused=True
        )
        rows.append(
            torch.cat(
                [
                    (torch.zeros_like(x) if g is None else g).reshape(-1)
                    for g, x in zip(grads, inputs, strict=True)
                ]
            )
        )
    return torch.stack(rows).detach().numpy()


def linear_gradcheck(module: ModuleType, X: Any, W: Any, b: Any) -> np.ndarray:
    """The analytical Jacobian of LinearFunction at (X, W, b), as gradcheck computes it: the
    grader compares it with its own central differences."""
    inputs = [_tensor(v).requires_grad_(True) for v in (X, W, b)]
    return _jacobian(module.LinearFunction.apply, inputs)


def sigmoid_gradcheck(module: ModuleType, Z: Any) -> np.ndarray:
    """The analytical Jacobian of SigmoidFunction at Z, as gradcheck computes it."""
    return _jacobian(module.SigmoidFunction.apply, [_tensor(Z).requires_grad_(True)])
