# Bug: db1 sums the gradient at GELU's output (dx2 @ W2), skipping GELU's slope.
"""Exercise 12, held-out (written from the contract alone), one mistake: db1 sums the gradient at GELU's output (dx2 @ W2), skipping GELU's slope."""

from typing import Any

import numpy as np

# --- pasted from my exercise10 and exercise11 --------------------------------------------------


def _ln_stats(X, eps):
    mu = X.mean(axis=-1, keepdims=True)
    dev = X - mu
    var = (dev * dev).mean(axis=-1, keepdims=True)
    inv = 1.0 / np.sqrt(var + eps)
    return dev * inv, inv


def layernorm_forward(X, gamma, beta, eps=1e-5):
    xhat, _ = _ln_stats(X, eps)
    return xhat * gamma + beta


def layernorm_backward(dY, X, gamma, eps=1e-5):
    xhat, inv = _ln_stats(X, eps)
    dxhat = dY * gamma
    dX = inv * (
        dxhat
        - dxhat.mean(axis=-1, keepdims=True)
        - xhat * (dxhat * xhat).mean(axis=-1, keepdims=True)
    )
    D = X.shape[-1]
    dgamma = (dY * xhat).reshape(-1, D).sum(axis=0)
    dbeta = dY.reshape(-1, D).sum(axis=0)
    return dX, dgamma, dbeta


def _attn_probs(Q, K):
    H = Q.shape[-1]
    T = Q.shape[-2]
    S = np.einsum("bth,bsh->bts", Q, K) / np.sqrt(H)
    S = np.where(np.triu(np.ones((T, T), dtype=bool), k=1), -np.inf, S)
    S = S - S.max(axis=-1, keepdims=True)
    E = np.exp(S)
    return E / E.sum(axis=-1, keepdims=True)


def causal_attention_forward(X, Wq, Wk, Wv):
    Q, K, V = X @ Wq.T, X @ Wk.T, X @ Wv.T
    return _attn_probs(Q, K) @ V


def causal_attention_backward(dY, X, Wq, Wk, Wv):
    Q, K, V = X @ Wq.T, X @ Wk.T, X @ Wv.T
    H = Q.shape[-1]
    P = _attn_probs(Q, K)
    dP = dY @ V.transpose(0, 2, 1)
    dV = P.transpose(0, 2, 1) @ dY
    dS = P * (dP - (dP * P).sum(axis=-1, keepdims=True)) / np.sqrt(H)
    dQ = dS @ K
    dK = dS.transpose(0, 2, 1) @ Q
    dX = dQ @ Wq + dK @ Wk + dV @ Wv
    C = X.shape[-1]
    X2 = X.reshape(-1, C)
    dWq = dQ.reshape(-1, H).T @ X2
    dWk = dK.reshape(-1, H).T @ X2
    dWv = dV.reshape(-1, H).T @ X2
    return dX, dWq, dWk, dWv


# --- exercise12 ----------------------------------------------------------------------------------

_K = np.sqrt(2.0 / np.pi)
_A = 0.044715


def gelu(Z):
    t = np.tanh(_K * (Z + _A * Z**3))
    return 0.5 * Z * (1.0 + t)


def gelu_backward(dA, Z):
    t = np.tanh(_K * (Z + _A * Z**3))
    slope = 0.5 * (1.0 + t) + 0.5 * Z * (1.0 - t * t) * _K * (1.0 + 3.0 * _A * Z * Z)
    return dA * slope


def init_gpt(V, T, C, seed=0):
    rng = np.random.default_rng(seed)
    small = 0.02 / np.sqrt(2.0)
    plan = [
        ("wte", (V, C), 0.02),
        ("wpe", (T, C), 0.02),
        ("Wq", (C, C), 0.02),
        ("Wk", (C, C), 0.02),
        ("Wv", (C, C), 0.02),
        ("Wo", (C, C), small),
        ("W1", (4 * C, C), 0.02),
        ("W2", (C, 4 * C), small),
        ("Wlm", (V, C), 0.02),
    ]
    params = {}
    for name, shape, std in plan:
        params[name] = rng.normal(0.0, std, size=shape)
    for name in ("ln1_g", "ln2_g", "lnf_g"):
        params[name] = np.ones(C)
    for name, n in (("ln1_b", C), ("ln2_b", C), ("lnf_b", C), ("b1", 4 * C), ("b2", C)):
        params[name] = np.zeros(n)
    return params


def _log_softmax(L):
    m = L.max(axis=-1, keepdims=True)
    s = L - m
    return s - np.log(np.exp(s).sum(axis=-1, keepdims=True))


def _logits(p, idx):
    """Forward to the logits; returns (logits, saved) with every intermediate kept."""
    idx = np.asarray(idx)
    B, T = idx.shape
    x0 = p["wte"][idx] + p["wpe"][:T]
    h1 = layernorm_forward(x0, p["ln1_g"], p["ln1_b"])
    a = causal_attention_forward(h1, p["Wq"], p["Wk"], p["Wv"])
    x1 = x0 + a @ p["Wo"].T
    h2 = layernorm_forward(x1, p["ln2_g"], p["ln2_b"])
    z = h2 @ p["W1"].T + p["b1"]
    g = gelu(z)
    x2 = x1 + g @ p["W2"].T + p["b2"]
    hf = layernorm_forward(x2, p["lnf_g"], p["lnf_b"])
    logits = hf @ p["Wlm"].T
    saved = dict(idx=idx.copy(), x0=x0, h1=h1, a=a, x1=x1, h2=h2, z=z, g=g, x2=x2, hf=hf)
    return logits, saved


def gpt_forward(params, idx, targets):
    logits, saved = _logits(params, idx)
    targets = np.asarray(targets)
    lp = _log_softmax(logits)
    picked = np.take_along_axis(lp, targets[..., None], axis=-1)
    loss = float(-picked.mean())
    saved["probs"] = np.exp(lp)
    saved["targets"] = targets.copy()
    return loss, saved


def gpt_backward(params, cache):
    p, c = params, cache
    B, T = c["idx"].shape
    V, C = p["wte"].shape
    grads = {k: np.zeros_like(v, dtype=np.float64) for k, v in p.items()}

    dlogits = c["probs"].copy()
    bi, ti = np.meshgrid(np.arange(B), np.arange(T), indexing="ij")
    dlogits[bi, ti, c["targets"]] -= 1.0
    dlogits /= B * T

    grads["Wlm"] = np.einsum("btv,btc->vc", dlogits, c["hf"])
    dhf = dlogits @ p["Wlm"]
    dx2, grads["lnf_g"], grads["lnf_b"] = layernorm_backward(dhf, c["x2"], p["lnf_g"])

    # MLP branch: x2 = x1 + g @ W2.T + b2
    grads["b2"] = dx2.sum(axis=(0, 1))
    grads["W2"] = np.einsum("btc,btf->cf", dx2, c["g"])
    dg = dx2 @ p["W2"]
    dz = gelu_backward(dg, c["z"])
    grads["b1"] = dg.sum(axis=(0, 1))
    grads["W1"] = np.einsum("btf,btc->fc", dz, c["h2"])
    dh2 = dz @ p["W1"]
    dln2, grads["ln2_g"], grads["ln2_b"] = layernorm_backward(dh2, c["x1"], p["ln2_g"])
    dx1 = dx2 + dln2

    # attention branch: x1 = x0 + a @ Wo.T
    grads["Wo"] = np.einsum("btc,bth->ch", dx1, c["a"])
    da = dx1 @ p["Wo"]
    dh1, grads["Wq"], grads["Wk"], grads["Wv"] = causal_attention_backward(
        da, c["h1"], p["Wq"], p["Wk"], p["Wv"]
    )
    dln1, grads["ln1_g"], grads["ln1_b"] = layernorm_backward(dh1, c["x0"], p["ln1_g"])
    dx0 = dx1 + dln1

    dwte = np.zeros((V, C))
    np.add.at(dwte, c["idx"], dx0)
    grads["wte"] = dwte
    dwpe = np.zeros_like(p["wpe"], dtype=np.float64)
    dwpe[:T] = dx0.sum(axis=0)
    grads["wpe"] = dwpe
    return grads


def train(params, ids, steps, lr, batch_size, T, seed=0):
    rng = np.random.default_rng(seed)
    ids = np.asarray(ids)
    cur = {k: np.array(v, dtype=np.float64, copy=True) for k, v in params.items()}
    losses = []
    offs = np.arange(T)
    for _ in range(steps):
        starts = rng.integers(0, len(ids) - T, size=batch_size)
        idx = ids[starts[:, None] + offs]
        targets = ids[starts[:, None] + offs + 1]
        loss, cache = gpt_forward(cur, idx, targets)
        grads = gpt_backward(cur, cache)
        cur = {k: cur[k] - lr * grads[k] for k in cur}
        losses.append(loss)
    return cur, losses


def generate(params, prompt, n, seed=0):
    rng = np.random.default_rng(seed)
    T = params["wpe"].shape[0]
    V = params["wte"].shape[0]
    seq = [int(t) for t in prompt]
    new = []
    for _ in range(n):
        ctx = np.array(seq[-T:])[None, :]
        logits, _ = _logits(params, ctx)
        lp = _log_softmax(logits[0, -1])
        probs = np.exp(lp)
        probs = probs / probs.sum()
        tok = int(rng.choice(V, p=probs))
        seq.append(tok)
        new.append(tok)
    return new
