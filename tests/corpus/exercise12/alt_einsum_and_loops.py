# A learner's tiny GPT in another style: einsum for every product, the layernorm backward by
# the chain rule through the mean and the variance, embedding gradients by loops over the
# positions, rng.choice for the windows' starts (the same numbers as rng.integers).
import math

import numpy as np


def layernorm_forward(X, gamma, beta, eps=1e-5):
    D = X.shape[-1]
    mean = np.sum(X, axis=-1, keepdims=True) / D
    centred = X - mean
    var = np.sum(centred * centred, axis=-1, keepdims=True) / D
    return gamma * centred / np.sqrt(var + eps) + beta


def layernorm_backward(dY, X, gamma, eps=1e-5):
    D = X.shape[-1]
    mean = np.sum(X, axis=-1, keepdims=True) / D
    xc = X - mean
    var = np.sum(xc * xc, axis=-1, keepdims=True) / D
    std = np.sqrt(var + eps)
    xhat = xc / std
    lead = tuple(range(X.ndim - 1))
    dgamma = np.sum(dY * xhat, axis=lead)
    dbeta = np.sum(dY, axis=lead)
    dxhat = dY * gamma
    dvar = np.sum(dxhat * xc, axis=-1, keepdims=True) * -0.5 * std**-3
    dmean = -np.sum(dxhat, axis=-1, keepdims=True) / std - 2.0 * dvar * np.sum(xc, axis=-1, keepdims=True) / D
    dX = dxhat / std + dvar * 2.0 * xc / D + dmean / D
    return dX, dgamma, dbeta


def _probs(X, Wq, Wk):
    B, T, C = X.shape
    H = Wq.shape[0]
    Q = np.einsum("btc,hc->bth", X, Wq)
    K = np.einsum("btc,hc->bth", X, Wk)
    S = np.einsum("bth,bsh->bts", Q, K) / math.sqrt(H)
    S = S + np.triu(np.full((T, T), -np.inf), 1)
    S = S - np.max(S, axis=-1, keepdims=True)
    E = np.exp(S)
    return E / np.sum(E, axis=-1, keepdims=True), Q, K


def causal_attention_forward(X, Wq, Wk, Wv):
    P, _, _ = _probs(X, Wq, Wk)
    return np.einsum("bts,bsh->bth", P, np.einsum("btc,hc->bth", X, Wv))


def causal_attention_backward(dY, X, Wq, Wk, Wv):
    H = Wq.shape[0]
    P, Q, K = _probs(X, Wq, Wk)
    V = np.einsum("btc,hc->bth", X, Wv)
    dP = np.einsum("bth,bsh->bts", dY, V)
    dV = np.einsum("bts,bth->bsh", P, dY)
    dS = P * (dP - np.sum(dP * P, axis=-1, keepdims=True)) / math.sqrt(H)
    dQ = np.einsum("bts,bsh->bth", dS, K)
    dK = np.einsum("bts,bth->bsh", dS, Q)
    dX = np.einsum("bth,hc->btc", dQ, Wq) + np.einsum("bth,hc->btc", dK, Wk) + np.einsum("bth,hc->btc", dV, Wv)
    dWq = np.einsum("bth,btc->hc", dQ, X)
    dWk = np.einsum("bth,btc->hc", dK, X)
    dWv = np.einsum("bth,btc->hc", dV, X)
    return dX, dWq, dWk, dWv


K = math.sqrt(2.0 / math.pi)


def gelu(Z):
    inner = K * (Z + 0.044715 * Z * Z * Z)
    return Z * (1.0 + np.tanh(inner)) / 2.0


def gelu_backward(dA, Z):
    th = np.tanh(K * (Z + 0.044715 * Z * Z * Z))
    sech2 = 1.0 - th * th
    return dA * ((1.0 + th) / 2.0 + Z * sech2 * K * (1.0 + 0.134145 * Z * Z) / 2.0)


ORDER = [("wte", "VC", 1), ("wpe", "TC", 1), ("Wq", "CC", 1), ("Wk", "CC", 1), ("Wv", "CC", 1),
         ("Wo", "CC", 2), ("W1", "FC", 1), ("W2", "CF", 2), ("Wlm", "VC", 1)]


def init_gpt(V, T, C, seed=0):
    rng = np.random.default_rng(seed)
    size = {"V": V, "T": T, "C": C, "F": 4 * C}
    params = {}
    for name, shape, layers in ORDER:
        params[name] = rng.normal(0.0, 0.02 / math.sqrt(layers), size=(size[shape[0]], size[shape[1]]))
    params.update(ln1_g=np.ones(C), ln1_b=np.zeros(C), ln2_g=np.ones(C), ln2_b=np.zeros(C))
    params.update(lnf_g=np.ones(C), lnf_b=np.zeros(C), b1=np.zeros(4 * C), b2=np.zeros(C))
    return params


def _forward(p, idx):
    B, T = idx.shape
    x0 = np.zeros((B, T, p["wte"].shape[1]))
    for b in range(B):
        for t in range(T):
            x0[b, t] = p["wte"][idx[b, t]] + p["wpe"][t]
    h1 = layernorm_forward(x0, p["ln1_g"], p["ln1_b"])
    y = causal_attention_forward(h1, p["Wq"], p["Wk"], p["Wv"])
    x1 = x0 + np.einsum("btc,dc->btd", y, p["Wo"])
    h2 = layernorm_forward(x1, p["ln2_g"], p["ln2_b"])
    u = np.einsum("btc,fc->btf", h2, p["W1"]) + p["b1"]
    a = gelu(u)
    x2 = x1 + np.einsum("btf,cf->btc", a, p["W2"]) + p["b2"]
    hf = layernorm_forward(x2, p["lnf_g"], p["lnf_b"])
    logits = np.einsum("btc,vc->btv", hf, p["Wlm"])
    return logits, dict(idx=idx, x0=x0, h1=h1, y=y, x1=x1, h2=h2, u=u, a=a, x2=x2, hf=hf)


def gpt_forward(params, idx, targets):
    logits, cache = _forward(params, idx)
    m = logits.max(axis=2, keepdims=True)
    lse = m[..., 0] + np.log(np.exp(logits - m).sum(axis=2))
    B, T = idx.shape
    picked = np.array([[logits[b, t, targets[b, t]] for t in range(T)] for b in range(B)])
    cache["logits"], cache["targets"] = logits, targets
    return float(np.mean(lse - picked)), cache


def gpt_backward(params, cache):
    p = params
    idx, targets, logits = cache["idx"], cache["targets"], cache["logits"]
    B, T, V = logits.shape
    e = np.exp(logits - logits.max(axis=2, keepdims=True))
    d = e / e.sum(axis=2, keepdims=True)
    for b in range(B):
        for t in range(T):
            d[b, t, targets[b, t]] -= 1.0
    d = d / (B * T)
    grads = {"Wlm": np.einsum("btv,btc->vc", d, cache["hf"])}
    dhf = np.einsum("btv,vc->btc", d, p["Wlm"])
    dx2, grads["lnf_g"], grads["lnf_b"] = layernorm_backward(dhf, cache["x2"], p["lnf_g"])
    grads["W2"] = np.einsum("btc,btf->cf", dx2, cache["a"])
    grads["b2"] = np.einsum("btc->c", dx2)
    du = gelu_backward(np.einsum("btc,cf->btf", dx2, p["W2"]), cache["u"])
    grads["W1"] = np.einsum("btf,btc->fc", du, cache["h2"])
    grads["b1"] = np.einsum("btf->f", du)
    dh2, grads["ln2_g"], grads["ln2_b"] = layernorm_backward(
        np.einsum("btf,fc->btc", du, p["W1"]), cache["x1"], p["ln2_g"]
    )
    dx1 = dx2 + dh2
    grads["Wo"] = np.einsum("btd,btc->dc", dx1, cache["y"])
    dy = np.einsum("btd,dc->btc", dx1, p["Wo"])
    dh1, grads["Wq"], grads["Wk"], grads["Wv"] = causal_attention_backward(dy, cache["h1"], p["Wq"], p["Wk"], p["Wv"])
    dln, grads["ln1_g"], grads["ln1_b"] = layernorm_backward(dh1, cache["x0"], p["ln1_g"])
    dx0 = dx1 + dln
    grads["wte"] = np.zeros(p["wte"].shape)
    grads["wpe"] = np.zeros(p["wpe"].shape)
    for b in range(B):
        for t in range(T):
            grads["wte"][idx[b, t]] += dx0[b, t]
            grads["wpe"][t] += dx0[b, t]
    return {k: grads[k] for k in params}


def train(params, ids, steps, lr, batch_size, T, seed=0):
    rng = np.random.default_rng(seed)
    current = dict(params)
    losses = []
    offsets = np.arange(T)
    for _ in range(steps):
        starts = rng.choice(len(ids) - T, size=batch_size)
        x = ids[starts[:, None] + offsets]
        y = ids[starts[:, None] + offsets + 1]
        loss, cache = gpt_forward(current, x, y)
        grads = gpt_backward(current, cache)
        current = {k: current[k] - lr * grads[k] for k in current}
        losses.append(loss)
    if steps == 0:
        current = {k: v.copy() for k, v in params.items()}
    return current, losses


def generate(params, prompt, n, seed=0):
    rng = np.random.default_rng(seed)
    T, V = params["wpe"].shape[0], params["wte"].shape[0]
    out = []
    history = list(prompt)
    while len(out) < n:
        logits, _ = _forward(params, np.array([history[max(0, len(history) - T):]]))
        last = logits[0, -1] - np.max(logits[0, -1])
        probs = np.exp(last) / np.sum(np.exp(last))
        token = rng.choice(V, p=probs)
        out.append(token)
        history.append(int(token))
    return out
