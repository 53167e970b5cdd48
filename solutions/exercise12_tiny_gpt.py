"""Reference solution, exercise 12: a tiny GPT.

One pre-norm transformer block with one head, trained on characters:

    x0 = wte[idx] + wpe[:T]
    x1 = x0 + attention(layernorm1(x0)) @ Wo.T
    x2 = x1 + gelu(layernorm2(x1) @ W1.T + b1) @ W2.T + b2
    logits = layernorm_f(x2) @ Wlm.T
    loss = mean cross-entropy over all B * T positions

Self-contained: exercise10's layernorm and exercise11's attention are written out here, as
the learner copies theirs into their own file.
"""

from typing import Any

import numpy as np

EPS = 1e-5
GELU_C = np.sqrt(2.0 / np.pi)
GELU_A = 0.044715
# init_gpt's draws, in this order: (name, shape from (V, T, C), std)
DRAWS = (
    ("wte", lambda V, T, C: (V, C), 0.02),
    ("wpe", lambda V, T, C: (T, C), 0.02),
    ("Wq", lambda V, T, C: (C, C), 0.02),
    ("Wk", lambda V, T, C: (C, C), 0.02),
    ("Wv", lambda V, T, C: (C, C), 0.02),
    ("Wo", lambda V, T, C: (C, C), 0.02 / np.sqrt(2.0)),
    ("W1", lambda V, T, C: (4 * C, C), 0.02),
    ("W2", lambda V, T, C: (C, 4 * C), 0.02 / np.sqrt(2.0)),
    ("Wlm", lambda V, T, C: (V, C), 0.02),
)


# --- exercise10 and exercise11, copied in -------------------------------------------------------


def layernorm_forward(
    X: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5
) -> np.ndarray:
    """Layer normalization over the last axis (exercise10).

    Inputs:
    - X: shape (..., D)
    - gamma, beta: gain and bias, shape (D,)
    - eps: added to the variance

    Returns:
    - Y: shape (..., D), gamma * (X - mean) / sqrt(var + eps) + beta, with each vector's own
      mean and biased variance
    """
    mean = X.mean(axis=-1, keepdims=True)
    var = ((X - mean) ** 2).mean(axis=-1, keepdims=True)
    return gamma * (X - mean) / np.sqrt(var + eps) + beta


def layernorm_backward(
    dY: np.ndarray, X: np.ndarray, gamma: np.ndarray, eps: float = 1e-5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The backward pass of layernorm_forward (exercise10).

    Inputs:
    - dY: upstream gradient, shape (..., D)
    - X: the forward's input, shape (..., D)
    - gamma: the gain, shape (D,)
    - eps: added to the variance

    Returns a tuple of:
    - dX: shape (..., D)
    - dgamma, dbeta: shape (D,), summed over every leading axis
    """
    D = X.shape[-1]
    mean = X.mean(axis=-1, keepdims=True)
    var = ((X - mean) ** 2).mean(axis=-1, keepdims=True)
    inv = 1.0 / np.sqrt(var + eps)
    xhat = (X - mean) * inv
    lead = tuple(range(X.ndim - 1))
    dgamma = (dY * xhat).sum(axis=lead)
    dbeta = dY.sum(axis=lead)
    dxhat = dY * gamma
    dX = (
        inv
        / D
        * (
            D * dxhat
            - dxhat.sum(axis=-1, keepdims=True)
            - xhat * (dxhat * xhat).sum(axis=-1, keepdims=True)
        )
    )
    return dX, dgamma, dbeta


def _softmax(S: np.ndarray) -> np.ndarray:
    """Softmax along the last axis; -inf entries come out exactly 0."""
    e = np.exp(S - S.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _attention_weights(Q: np.ndarray, K: np.ndarray) -> np.ndarray:
    T, H = Q.shape[-2], Q.shape[-1]
    S = Q @ np.swapaxes(K, -1, -2) / np.sqrt(H)
    future = np.triu(np.ones((T, T), dtype=bool), k=1)  # s > t
    return _softmax(np.where(future, -np.inf, S))


def causal_attention_forward(
    X: np.ndarray, Wq: np.ndarray, Wk: np.ndarray, Wv: np.ndarray
) -> np.ndarray:
    """One head of causal self-attention, no biases (exercise11).

    Inputs:
    - X: shape (B, T, C)
    - Wq, Wk, Wv: shape (H, C)

    Returns:
    - Y: shape (B, T, H), softmax(mask(Q @ K^T / sqrt(H))) @ V with Q = X @ Wq.T, ...
    """
    Q, K, V = X @ Wq.T, X @ Wk.T, X @ Wv.T
    return _attention_weights(Q, K) @ V


def causal_attention_backward(
    dY: np.ndarray, X: np.ndarray, Wq: np.ndarray, Wk: np.ndarray, Wv: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The backward pass of causal_attention_forward (exercise11).

    Inputs:
    - dY: upstream gradient, shape (B, T, H)
    - X, Wq, Wk, Wv: the forward's inputs

    Returns a tuple of:
    - dX: shape (B, T, C)
    - dWq, dWk, dWv: shape (H, C)
    """
    H = Wq.shape[0]
    Q, K, V = X @ Wq.T, X @ Wk.T, X @ Wv.T
    P = _attention_weights(Q, K)
    dP = dY @ np.swapaxes(V, -1, -2)  # (B, T, T)
    dV = np.swapaxes(P, -1, -2) @ dY  # (B, T, H)
    dS = P * (dP - (dP * P).sum(axis=-1, keepdims=True)) / np.sqrt(H)  # masked: P = 0
    dQ = dS @ K
    dK = np.swapaxes(dS, -1, -2) @ Q
    flat = X.reshape(-1, X.shape[-1])

    def weight_grad(dZ: np.ndarray) -> np.ndarray:
        return dZ.reshape(-1, H).T @ flat

    dX = dQ @ Wq + dK @ Wk + dV @ Wv
    return dX, weight_grad(dQ), weight_grad(dK), weight_grad(dV)


# --- exercise12 ----------------------------------------------------------------------------------


def gelu(Z: np.ndarray) -> np.ndarray:
    """GELU, the tanh approximation (as torch's F.gelu(approximate="tanh")), elementwise.

    Inputs:
    - Z: any shape

    Returns:
    - A: shape of Z, 0.5 * Z * (1 + tanh(sqrt(2 / pi) * (Z + 0.044715 * Z**3)))
    """
    return 0.5 * Z * (1.0 + np.tanh(GELU_C * (Z + GELU_A * Z**3)))


def gelu_backward(dA: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """The backward pass of gelu: dZ = dA * gelu'(Z).

    With u = sqrt(2 / pi) * (Z + 0.044715 * Z**3) and t = tanh(u), the product rule gives
    gelu'(Z) = 0.5 * (1 + t) + 0.5 * Z * (1 - t**2) * sqrt(2 / pi) * (1 + 3 * 0.044715 * Z**2).

    Inputs:
    - dA: upstream gradient, shape of Z
    - Z: the forward's input

    Returns:
    - dZ: shape of Z
    """
    t = np.tanh(GELU_C * (Z + GELU_A * Z**3))
    du_dZ = GELU_C * (1.0 + 3.0 * GELU_A * Z**2)
    return dA * (0.5 * (1.0 + t) + 0.5 * Z * (1.0 - t**2) * du_dZ)


def init_gpt(V: int, T: int, C: int, seed: int = 0) -> dict[str, np.ndarray]:
    """The parameters of a tiny GPT, drawn from one generator.

    From rng = np.random.default_rng(seed), in this order, rng.normal(0.0, std, size=shape):
    wte (V, C), wpe (T, C), Wq, Wk, Wv, Wo (C, C), W1 (4C, C), W2 (C, 4C), Wlm (V, C), each
    with std 0.02 except Wo and W2 with 0.02 / sqrt(2). Then the gains ln1_g, ln2_g, lnf_g
    (C,) are ones, and the biases ln1_b, ln2_b, lnf_b (C,), b1 (4C,) and b2 (C,) are zeros.

    Inputs:
    - V: the vocabulary size
    - T: the longest context (the rows of wpe)
    - C: the number of channels
    - seed: the seed of the random generator

    Returns:
    - params: a dict of float64 arrays with the keys above
    """
    rng = np.random.default_rng(seed)
    params = {name: rng.normal(0.0, std, size=shape(V, T, C)) for name, shape, std in DRAWS}
    for name in ("ln1", "ln2", "lnf"):
        params[f"{name}_g"] = np.ones(C)
        params[f"{name}_b"] = np.zeros(C)
    params["b1"] = np.zeros(4 * C)
    params["b2"] = np.zeros(C)
    return params


def _block(params: dict[str, np.ndarray], idx: np.ndarray) -> dict[str, Any]:
    """The forward pass up to the logits, keeping every intermediate."""
    p, T = params, idx.shape[1]
    x0 = p["wte"][idx] + p["wpe"][:T]
    h1 = layernorm_forward(x0, p["ln1_g"], p["ln1_b"], EPS)
    y = causal_attention_forward(h1, p["Wq"], p["Wk"], p["Wv"])
    x1 = x0 + y @ p["Wo"].T
    h2 = layernorm_forward(x1, p["ln2_g"], p["ln2_b"], EPS)
    u = h2 @ p["W1"].T + p["b1"]
    a = gelu(u)
    x2 = x1 + a @ p["W2"].T + p["b2"]
    hf = layernorm_forward(x2, p["lnf_g"], p["lnf_b"], EPS)
    logits = hf @ p["Wlm"].T
    return {"idx": idx, "x0": x0, "h1": h1, "y": y, "x1": x1, "h2": h2, "u": u, "a": a,
            "x2": x2, "hf": hf, "logits": logits}  # fmt: skip


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def gpt_forward(
    params: dict[str, np.ndarray], idx: np.ndarray, targets: np.ndarray
) -> tuple[float, Any]:
    """The forward pass of the tiny GPT and its loss.

    Inputs:
    - params: the dict of init_gpt
    - idx: token ids, integers of shape (B, T), T at most the rows of wpe
    - targets: the next token at each position, integers of shape (B, T)

    Returns a tuple of:
    - loss: a float, the mean over all B * T positions of -log softmax(logits)[target]
    - cache: what gpt_backward needs
    """
    # the cache here is the inputs alone: gpt_backward recomputes the intermediates
    logp = _log_softmax(_block(params, idx)["logits"])
    picked = np.take_along_axis(logp, targets[..., None], axis=-1)
    return float(-picked.mean()), {"idx": idx.copy(), "targets": targets.copy()}


def gpt_backward(params: dict[str, np.ndarray], cache: Any) -> dict[str, np.ndarray]:
    """The backward pass of gpt_forward: the gradient of the loss for every parameter.

    Inputs:
    - params: the dict gpt_forward was given
    - cache: what gpt_forward returned with the loss

    Returns:
    - grads: a dict with the keys and shapes of params
    """
    p = params
    idx, targets = cache["idx"], cache["targets"]
    c = _block(params, idx)
    B, T = idx.shape
    V, C = p["wte"].shape

    def weight(dZ: np.ndarray, X: np.ndarray) -> np.ndarray:
        """dW = dZ.T @ X with the batch and the positions taken together."""
        return dZ.reshape(-1, dZ.shape[-1]).T @ X.reshape(-1, X.shape[-1])

    g: dict[str, np.ndarray] = {}
    # the loss: a mean over all B * T positions
    dlogits = np.exp(_log_softmax(c["logits"]))
    np.put_along_axis(
        dlogits, targets[..., None], np.take_along_axis(dlogits, targets[..., None], -1) - 1, -1
    )
    dlogits /= B * T
    # logits = hf @ Wlm.T
    g["Wlm"] = weight(dlogits, c["hf"])
    dhf = dlogits @ p["Wlm"]
    dx2, g["lnf_g"], g["lnf_b"] = layernorm_backward(dhf, c["x2"], p["lnf_g"], EPS)
    # x2 = x1 + gelu(h2 @ W1.T + b1) @ W2.T + b2: the residual passes dx2 on unchanged
    g["W2"] = weight(dx2, c["a"])
    g["b2"] = dx2.sum(axis=(0, 1))
    du = gelu_backward(dx2 @ p["W2"], c["u"])
    g["W1"] = weight(du, c["h2"])
    g["b1"] = du.sum(axis=(0, 1))
    dh2, g["ln2_g"], g["ln2_b"] = layernorm_backward(du @ p["W1"], c["x1"], p["ln2_g"], EPS)
    dx1 = dx2 + dh2
    # x1 = x0 + attention(h1) @ Wo.T
    g["Wo"] = weight(dx1, c["y"])
    dh1, g["Wq"], g["Wk"], g["Wv"] = causal_attention_backward(
        dx1 @ p["Wo"], c["h1"], p["Wq"], p["Wk"], p["Wv"]
    )
    dh1, g["ln1_g"], g["ln1_b"] = layernorm_backward(dh1, c["x0"], p["ln1_g"], EPS)
    dx0 = dx1 + dh1
    # x0 = wte[idx] + wpe[:T]: a token seen twice gets both rows; wpe's rows sum over the batch
    g["wte"] = np.zeros((V, C))
    np.add.at(g["wte"], idx, dx0)
    g["wpe"] = np.zeros_like(p["wpe"])
    g["wpe"][:T] = dx0.sum(axis=0)
    return {key: g[key] for key in params}


def train(
    params: dict[str, np.ndarray],
    ids: np.ndarray,
    steps: int,
    lr: float,
    batch_size: int,
    T: int,
    seed: int = 0,
) -> tuple[dict[str, np.ndarray], list[float]]:
    """Plain SGD on random windows of a text's token ids.

    One rng = np.random.default_rng(seed), made first. Each step draws
    starts = rng.integers(0, len(ids) - T, size=batch_size); idx holds the T ids from each
    start, targets the T ids one place later; then forward, backward and
    params[k] - lr * grads[k] for every key.

    Inputs:
    - params: the dict of init_gpt (left unchanged)
    - ids: the text's token ids, integers of shape (n,)
    - steps: the number of SGD steps
    - lr: the learning rate
    - batch_size: the windows per step (B)
    - T: the length of each window, at most the rows of wpe
    - seed: the seed of the random generator

    Returns a tuple of:
    - new_params: a new dict of new arrays
    - losses: a list of `steps` floats, each step's loss before its update
    """
    rng = np.random.default_rng(seed)
    params = {key: value.copy() for key, value in params.items()}
    window = np.arange(T)
    losses = []
    for _ in range(steps):
        starts = rng.integers(0, len(ids) - T, size=batch_size)
        idx = ids[starts[:, None] + window]
        targets = ids[starts[:, None] + window + 1]
        loss, cache = gpt_forward(params, idx, targets)
        grads = gpt_backward(params, cache)
        params = {key: params[key] - lr * grads[key] for key in params}
        losses.append(loss)
    return params, losses


def generate(params: dict[str, np.ndarray], prompt: list[int], n: int, seed: int = 0) -> list[int]:
    """Sample n new tokens after a prompt.

    One rng = np.random.default_rng(seed). For each new token: the context is the last T ids
    so far (T = params["wpe"].shape[0]), its last position's logits give the probabilities
    p = softmax(logits), and the token is rng.choice(V, p=p).

    Inputs:
    - params: the dict of init_gpt
    - prompt: a non-empty list of token ids
    - n: the number of new tokens
    - seed: the seed of the random generator

    Returns:
    - new: a list of n token ids (without the prompt)
    """
    rng = np.random.default_rng(seed)
    T, V = params["wpe"].shape[0], params["wte"].shape[0]
    ids = list(prompt)
    for _ in range(n):
        context = np.array(ids[-T:])[None, :]
        logits = _block(params, context)["logits"][0, -1]
        probs = np.exp(_log_softmax(logits))
        ids.append(int(rng.choice(V, p=probs)))
    return ids[len(prompt) :]
