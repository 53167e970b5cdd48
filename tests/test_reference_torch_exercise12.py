"""exercise12's reference solution agrees with torch, an oracle written by someone else: the
block built from torch's own modules' functions (F.embedding, F.layer_norm, F.gelu with
approximate="tanh", F.cross_entropy), the gradients by autograd in float64, and the training
loop and the sampler replayed with torch doing the arithmetic. A test named
`test_exercise12_...` is this exercise's oracle for `bpgrade dev check`.
"""

import importlib.util
import math
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "solutions" / "exercise12_tiny_gpt.py"
TEXT = ROOT / "exercises" / "data" / "alice.txt"
RTOL = 1e-9
ATOL = 1e-12
SEEDS = range(10)
# (B, T of idx, V, T of wpe, C): all different, B = 1, a context shorter than wpe, a square-ish
SIZES = [(3, 5, 7, 6, 4), (1, 4, 5, 4, 6), (4, 3, 9, 6, 8), (2, 6, 6, 6, 6)]


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("reference_exercise12_tiny_gpt", SOLUTION)
    assert spec is not None and spec.loader is not None, SOLUTION
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


reference = _load()


def _torch_logits(params: dict[str, "torch.Tensor"], idx: np.ndarray) -> "torch.Tensor":
    p, T = params, idx.shape[1]
    C = p["wte"].shape[1]
    x0 = F.embedding(torch.as_tensor(idx), p["wte"]) + p["wpe"][:T]
    h1 = F.layer_norm(x0, (C,), p["ln1_g"], p["ln1_b"], eps=1e-5)
    q, k, v = h1 @ p["Wq"].T, h1 @ p["Wk"].T, h1 @ p["Wv"].T
    causal = torch.ones(T, T, dtype=torch.bool).tril()  # position t sees s <= t
    y = F.scaled_dot_product_attention(q, k, v, attn_mask=causal)
    x1 = x0 + y @ p["Wo"].T
    h2 = F.layer_norm(x1, (C,), p["ln2_g"], p["ln2_b"], eps=1e-5)
    hidden = F.gelu(F.linear(h2, p["W1"], p["b1"]), approximate="tanh")
    x2 = x1 + F.linear(hidden, p["W2"], p["b2"])
    return F.layer_norm(x2, (C,), p["lnf_g"], p["lnf_b"], eps=1e-5) @ p["Wlm"].T


def _torch_loss(
    params: dict[str, "torch.Tensor"], idx: np.ndarray, targets: np.ndarray
) -> "torch.Tensor":
    logits = _torch_logits(params, idx)
    V = logits.shape[-1]
    return F.cross_entropy(logits.reshape(-1, V), torch.as_tensor(targets).reshape(-1))


def _case(
    seed: int, B: int, T: int, V: int, Tmax: int, C: int
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Parameters far from init (so every path carries weight), ids with repeats."""
    rng = np.random.default_rng([seed, B, T, V, C])
    params = {
        k: rng.normal(0.0, 0.5, size=v.shape) for k, v in reference.init_gpt(V, Tmax, C).items()
    }
    for name in ("ln1_g", "ln2_g", "lnf_g"):
        params[name] = 1.0 + rng.normal(0.0, 0.3, size=C)
    idx = rng.integers(0, V, size=(B, T))
    idx[0, -1] = idx[0, 0]  # a token seen twice
    return params, idx, rng.integers(0, V, size=(B, T))


@pytest.mark.parametrize("sizes", SIZES)
@pytest.mark.parametrize("seed", SEEDS)
def test_exercise12_loss_and_gradients_match_autograd(seed: int, sizes: tuple[int, ...]) -> None:
    params, idx, targets = _case(seed, *sizes)
    tensors = {
        k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()
    }
    loss = _torch_loss(tensors, idx, targets)
    loss.backward()
    ours, cache = reference.gpt_forward(params, idx, targets)
    assert isinstance(ours, float)
    np.testing.assert_allclose(ours, loss.item(), rtol=RTOL, atol=ATOL)
    grads = reference.gpt_backward(params, cache)
    assert list(grads) == list(params)
    for key, tensor in tensors.items():
        assert tensor.grad is not None, key
        np.testing.assert_allclose(
            grads[key], tensor.grad.numpy(), rtol=1e-7, atol=1e-12, err_msg=key
        )


@pytest.mark.parametrize("seed", SEEDS)
def test_exercise12_gelu_matches_torch(seed: int) -> None:
    rng = np.random.default_rng(seed)
    Z = np.concatenate(
        [rng.normal(0.0, 3.0, size=50), [0.0, 1e-7, -8.0, 30.0, -30.0, 1000.0, -1000.0]]
    )
    dA = rng.normal(size=Z.shape)
    z = torch.tensor(Z, requires_grad=True)
    a = F.gelu(z, approximate="tanh")
    a.backward(torch.tensor(dA))
    with np.errstate(all="raise"):
        np.testing.assert_allclose(reference.gelu(Z), a.detach().numpy(), rtol=1e-12, atol=1e-15)
        assert z.grad is not None
        np.testing.assert_allclose(
            reference.gelu_backward(dA, Z), z.grad.numpy(), rtol=1e-10, atol=1e-13
        )


@pytest.mark.parametrize("seed", SEEDS)
def test_exercise12_init_draws_in_the_contract_order(seed: int) -> None:
    V, T, C = 7, 5, 6
    params = reference.init_gpt(V, T, C, seed=seed)
    rng = np.random.default_rng(seed)
    s = 0.02
    shapes = [("wte", (V, C), s), ("wpe", (T, C), s), ("Wq", (C, C), s), ("Wk", (C, C), s),
              ("Wv", (C, C), s), ("Wo", (C, C), s / math.sqrt(2)), ("W1", (4 * C, C), s),
              ("W2", (C, 4 * C), s / math.sqrt(2)), ("Wlm", (V, C), s)]  # fmt: skip
    for key, shape, std in shapes:
        np.testing.assert_allclose(params[key], rng.normal(0.0, std, size=shape), rtol=1e-15)
    ones_and_zeros = [("ln1_g", C, 1), ("ln2_g", C, 1), ("lnf_g", C, 1), ("ln1_b", C, 0),
                      ("ln2_b", C, 0), ("lnf_b", C, 0), ("b1", 4 * C, 0), ("b2", C, 0)]  # fmt: skip
    for key, size, value in ones_and_zeros:
        np.testing.assert_array_equal(params[key], np.full(size, float(value)))
    assert len(params) == 17


def _text_ids() -> tuple[np.ndarray, int]:
    text = TEXT.read_text(encoding="utf-8")
    chars = sorted(set(text))
    return np.array([chars.index(ch) for ch in text]), len(chars)


def test_exercise12_first_loss_is_about_ln_v_and_training_lowers_it() -> None:
    ids, V = _text_ids()
    params = reference.init_gpt(V, 16, 32, seed=0)
    new, losses = reference.train(params, ids, 60, 1.0, 16, 16, seed=0)
    assert abs(losses[0] - math.log(V)) < 0.05
    assert np.mean(losses[-10:]) < losses[0] - 0.5
    # params left unchanged, the result new arrays
    np.testing.assert_array_equal(params["wte"], reference.init_gpt(V, 16, 32, seed=0)["wte"])
    assert all(not np.shares_memory(new[k], params[k]) for k in params)


@pytest.mark.parametrize("seed", range(3))
def test_exercise12_train_replayed_with_autograd(seed: int) -> None:
    """Every step's loss and the final params, with torch computing each step's gradients."""
    ids, V = _text_ids()
    T, B, lr, steps = 8, 4, 0.5, 5
    params = reference.init_gpt(V, T, 12, seed=seed)
    new, losses = reference.train(params, ids, steps, lr, B, T, seed=seed)
    rng = np.random.default_rng(seed)
    current = {k: torch.tensor(v) for k, v in params.items()}
    for step in range(steps):
        starts = rng.integers(0, len(ids) - T, size=B)
        idx = np.stack([ids[s : s + T] for s in starts])
        targets = np.stack([ids[s + 1 : s + T + 1] for s in starts])
        leaves = {k: v.clone().requires_grad_(True) for k, v in current.items()}
        loss = _torch_loss(leaves, idx, targets)
        loss.backward()
        np.testing.assert_allclose(losses[step], loss.item(), rtol=1e-10)
        current = {k: (v - lr * v.grad).detach() for k, v in leaves.items()}  # type: ignore[operator]
    for key in params:
        np.testing.assert_allclose(
            new[key], current[key].numpy(), rtol=1e-8, atol=1e-12, err_msg=key
        )


@pytest.mark.parametrize("seed", range(3))
def test_exercise12_generate_samples_from_the_cropped_context(seed: int) -> None:
    V, T, C = 9, 5, 8
    rng = np.random.default_rng(seed)
    params = {k: rng.normal(0.0, 0.7, size=v.shape) for k, v in reference.init_gpt(V, T, C).items()}
    prompt = [int(i) for i in rng.integers(0, V, size=7)]
    new = reference.generate(params, prompt, 10, seed=seed)
    draws = np.random.default_rng(seed)
    ids = list(prompt)
    tensors = {k: torch.tensor(v) for k, v in params.items()}
    for _ in range(10):
        context = np.array(ids[-T:])[None]
        logits = _torch_logits(tensors, context)
        probs = torch.softmax(logits[0, -1], dim=-1).numpy()
        ids.append(int(draws.choice(V, p=probs)))
    assert new == ids[len(prompt) :]
    assert all(isinstance(i, int) and 0 <= i < V for i in new)
