# Bug: train updates the caller's params in place (no copy first).
import numpy as np


def layernorm_forward(X, gamma, beta, eps=1e-5):
    mu = X.mean(-1, keepdims=True)
    var = ((X - mu) ** 2).mean(-1, keepdims=True)
    return gamma * (X - mu) / np.sqrt(var + eps) + beta


def layernorm_backward(dY, X, gamma, eps=1e-5):
    D = X.shape[-1]
    mu = X.mean(-1, keepdims=True)
    var = ((X - mu) ** 2).mean(-1, keepdims=True)
    rstd = 1 / np.sqrt(var + eps)
    xhat = (X - mu) * rstd
    axes = tuple(range(X.ndim - 1))
    dgamma = (dY * xhat).sum(axes)
    dbeta = dY.sum(axes)
    g = dY * gamma
    dX = rstd * (g - g.mean(-1, keepdims=True) - xhat * (g * xhat).mean(-1, keepdims=True))
    return dX, dgamma, dbeta


def softmax(S):
    e = np.exp(S - S.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def attention_weights(X, Wq, Wk):
    T = X.shape[1]
    Q, K = X @ Wq.T, X @ Wk.T
    S = Q @ K.transpose(0, 2, 1) / np.sqrt(Wq.shape[0])
    mask = np.tril(np.ones((T, T), dtype=bool))
    return softmax(np.where(mask, S, -np.inf))


def causal_attention_forward(X, Wq, Wk, Wv):
    return attention_weights(X, Wq, Wk) @ (X @ Wv.T)


def causal_attention_backward(dY, X, Wq, Wk, Wv):
    H = Wq.shape[0]
    Q, K, V = X @ Wq.T, X @ Wk.T, X @ Wv.T
    P = attention_weights(X, Wq, Wk)
    dV = P.transpose(0, 2, 1) @ dY
    dP = dY @ V.transpose(0, 2, 1)
    dS = P * (dP - (dP * P).sum(-1, keepdims=True)) / np.sqrt(H)
    dQ = dS @ K
    dK = dS.transpose(0, 2, 1) @ Q
    Xf = X.reshape(-1, X.shape[-1])
    dWq = dQ.reshape(-1, H).T @ Xf
    dWk = dK.reshape(-1, H).T @ Xf
    dWv = dV.reshape(-1, H).T @ Xf
    dX = dQ @ Wq + dK @ Wk + dV @ Wv
    return dX, dWq, dWk, dWv


def gelu(Z):
    return 0.5 * Z * (1 + np.tanh(np.sqrt(2 / np.pi) * (Z + 0.044715 * Z**3)))


def gelu_backward(dA, Z):
    k = np.sqrt(2 / np.pi)
    t = np.tanh(k * (Z + 0.044715 * Z**3))
    slope = 0.5 * (1 + t) + 0.5 * Z * (1 - t**2) * k * (1 + 3 * 0.044715 * Z**2)
    return dA * slope


def init_gpt(V, T, C, seed=0):
    rng = np.random.default_rng(seed)
    p = {}
    p["wte"] = rng.normal(0.0, 0.02, size=(V, C))
    p["wpe"] = rng.normal(0.0, 0.02, size=(T, C))
    p["Wq"] = rng.normal(0.0, 0.02, size=(C, C))
    p["Wk"] = rng.normal(0.0, 0.02, size=(C, C))
    p["Wv"] = rng.normal(0.0, 0.02, size=(C, C))
    p["Wo"] = rng.normal(0.0, 0.02 / np.sqrt(2), size=(C, C))
    p["W1"] = rng.normal(0.0, 0.02, size=(4 * C, C))
    p["W2"] = rng.normal(0.0, 0.02 / np.sqrt(2), size=(C, 4 * C))
    p["Wlm"] = rng.normal(0.0, 0.02, size=(V, C))
    for name in ["ln1", "ln2", "lnf"]:
        p[name + "_g"] = np.ones(C)
        p[name + "_b"] = np.zeros(C)
    p["b1"] = np.zeros(4 * C)
    p["b2"] = np.zeros(C)
    return p


def logits_of(p, idx):
    T = idx.shape[1]
    c = {"idx": idx}
    c["x0"] = p["wte"][idx] + p["wpe"][:T]
    c["h1"] = layernorm_forward(c["x0"], p["ln1_g"], p["ln1_b"])
    c["att"] = causal_attention_forward(c["h1"], p["Wq"], p["Wk"], p["Wv"])
    c["x1"] = c["x0"] + c["att"] @ p["Wo"].T
    c["h2"] = layernorm_forward(c["x1"], p["ln2_g"], p["ln2_b"])
    c["u"] = c["h2"] @ p["W1"].T + p["b1"]
    c["a"] = gelu(c["u"])
    c["x2"] = c["x1"] + c["a"] @ p["W2"].T + p["b2"]
    c["hf"] = layernorm_forward(c["x2"], p["lnf_g"], p["lnf_b"])
    return c["hf"] @ p["Wlm"].T, c


def gpt_forward(params, idx, targets):
    logits, cache = logits_of(params, idx)
    B, T, V = logits.shape
    probs = softmax(logits)
    onehot = np.eye(V)[targets]
    shifted = logits - logits.max(-1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))
    loss = -(logp * onehot).sum() / (B * T)
    cache["probs"] = probs
    cache["onehot"] = onehot
    return float(loss), cache


def wgrad(dZ, X):
    return dZ.reshape(-1, dZ.shape[-1]).T @ X.reshape(-1, X.shape[-1])


def gpt_backward(params, cache):
    p, c = params, cache
    g = {}
    B, T, V = c["probs"].shape
    dlogits = (c["probs"] - c["onehot"]) / (B * T)
    g["Wlm"] = wgrad(dlogits, c["hf"])
    dx2, g["lnf_g"], g["lnf_b"] = layernorm_backward(dlogits @ p["Wlm"], c["x2"], p["lnf_g"])
    g["W2"] = wgrad(dx2, c["a"])
    g["b2"] = dx2.sum((0, 1))
    du = gelu_backward(dx2 @ p["W2"], c["u"])
    g["W1"] = wgrad(du, c["h2"])
    g["b1"] = du.sum((0, 1))
    dh2, g["ln2_g"], g["ln2_b"] = layernorm_backward(du @ p["W1"], c["x1"], p["ln2_g"])
    dx1 = dx2 + dh2
    g["Wo"] = wgrad(dx1, c["att"])
    datt = dx1 @ p["Wo"]
    dh1, g["Wq"], g["Wk"], g["Wv"] = causal_attention_backward(datt, c["h1"], p["Wq"], p["Wk"], p["Wv"])
    dln1, g["ln1_g"], g["ln1_b"] = layernorm_backward(dh1, c["x0"], p["ln1_g"])
    dx0 = dx1 + dln1
    g["wte"] = np.zeros_like(p["wte"])
    np.add.at(g["wte"], c["idx"], dx0)
    g["wpe"] = np.zeros_like(p["wpe"])
    g["wpe"][:T] = dx0.sum(0)
    return {k: g[k] for k in p}


def train(params, ids, steps, lr, batch_size, T, seed=0):
    rng = np.random.default_rng(seed)
    losses = []
    for step in range(steps):
        starts = rng.integers(0, len(ids) - T, size=batch_size)
        idx = np.stack([ids[s : s + T] for s in starts])
        targets = np.stack([ids[s + 1 : s + T + 1] for s in starts])
        loss, cache = gpt_forward(params, idx, targets)
        grads = gpt_backward(params, cache)
        for k in params:
            params[k] -= lr * grads[k]
        losses.append(loss)
    return params, losses


def generate(params, prompt, n, seed=0):
    rng = np.random.default_rng(seed)
    T = params["wpe"].shape[0]
    V = params["wte"].shape[0]
    ids = list(prompt)
    for _ in range(n):
        context = np.array(ids[-T:])[None, :]
        logits, _ = logits_of(params, context)
        probs = softmax(logits[0, -1])
        ids.append(int(rng.choice(V, p=probs)))
    return ids[len(prompt):]
