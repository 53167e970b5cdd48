"""Exercise 12: a tiny GPT.

Everything so far, put together: one transformer block with one attention head, trained with
your own backward pass to predict the next character of a text. It is GPT-2's design, only
tiny: pre-norm (each branch normalizes its input), residual connections around each branch,
GELU in the MLP.

The network
-----------
idx holds token ids (B, T), one character each; V is the number of distinct characters and
C the number of channels. The parameters are in a dict (see init_gpt):

    x0 = wte[idx] + wpe[:T]                                   (B, T, C) token + position
    x1 = x0 + attention(layernorm1(x0)) @ Wo.T                (B, T, C) attention branch
    x2 = x1 + gelu(layernorm2(x1) @ W1.T + b1) @ W2.T + b2    (B, T, C) MLP branch (4C wide)
    logits = layernorm_f(x2) @ Wlm.T                          (B, T, V)
    loss = mean over all B * T positions of -log softmax(logits)[b, t, targets[b, t]]

- each layernorm is exercise10's, over the last axis, with eps = 1e-5 and the biased
  variance, and its own gain and bias: ln1_g, ln1_b, ln2_g, ln2_b, lnf_g, lnf_b (C,);
- attention is exercise11's causal self-attention with one head of size H = C: position t
  attends to positions s <= t, scores divided by sqrt(C);
- T may be shorter than wpe's rows: only wpe[:T] is used.

Bring your layernorm and attention
----------------------------------
This file is graded on its own: it cannot import your other exercises. Paste your
layernorm_forward and layernorm_backward (exercise10) and causal_attention_forward and
causal_attention_backward (exercise11) into the four functions marked below. They are not
graded here by themselves, but every check of the network runs through them.

GELU
----
The tanh approximation (GPT-2's, PyTorch's F.gelu(approximate="tanh")), elementwise:

    u = sqrt(2 / pi) * (Z + 0.044715 * Z**3),   t = tanh(u),   gelu(Z) = 0.5 * Z * (1 + t)

Its slope needs the product rule (Z times (1 + t)) and the chain rule (t of u of Z):

    gelu'(Z) = 0.5 * (1 + t) + 0.5 * Z * (1 - t**2) * du/dZ,
    du/dZ    = sqrt(2 / pi) * (1 + 3 * 0.044715 * Z**2)

Both must stay finite, with no NumPy warning, for |Z| up to 1000.

The backward pass
-----------------
Run the forward pass in reverse, each step upstream times local:

- the loss: dlogits = (softmax(logits) - onehot(targets)) / (B * T), the 1 / (B * T) of the
  mean; dWlm = dlogits.T @ hf with the batch and positions taken together (reshape to
  (B * T, ...)); dhf = dlogits @ Wlm;
- a residual x2 = x1 + f(x1) sends the gradient along both paths, and they add:
  dx1 = dx2 + (the gradient of dx2 back through f). Dropping the first term is the classic
  mistake: the residual is what lets the gradient reach the first layers;
- a bias used at every position (b1, b2) sums its gradient over the batch and the positions;
- wpe[:T] is added to every sequence of the batch: its gradient is dx0 summed over the batch
  (rows past T stay zero); wte's row for token v is the sum of dx0 over every position that
  holds v. A token seen twice gets both: np.add.at(dwte, idx, dx0). NumPy's dwte[idx] += dx0
  writes each repeated row only once.

Training and sampling
---------------------
train(params, ids, steps, lr, batch_size, T, seed) runs plain SGD on windows of a text.
Make ONE rng = np.random.default_rng(seed) before the loop; each step draws

    starts = rng.integers(0, len(ids) - T, size=batch_size)

idx holds the T ids from each start, targets the T ids one place later (ids[s + 1 : s + T + 1]);
then forward, backward and params[k] - lr * grads[k] for every key. It returns the new params
and the list of each step's loss before its update; the params it was given stay unchanged.

generate(params, prompt, n, seed) appends n ids one at a time, from ONE
rng = np.random.default_rng(seed): the context is the last T ids so far
(T = params["wpe"].shape[0]), the probabilities are the softmax of the LAST position's logits,
and the new id is rng.choice(V, p=probs). It returns the n new ids (not the prompt).

The course's text is exercises/data/alice.txt (the opening of Alice's Adventures in
Wonderland, in the public domain). To try your model on it:

    text = open("exercises/data/alice.txt").read()
    chars = sorted(set(text))                       # V = len(chars), about 60
    ids = np.array([chars.index(ch) for ch in text])
    params = init_gpt(len(chars), 16, 16)
    trained, losses = train(params, ids, 60, 1.0, 8, 16)
    print(losses[0], np.mean(losses[-5:]))          # ln V = 4.11 at first, then about 2.6
    print("".join(chars[i] for i in generate(trained, ids[:16].tolist(), 100)))

Why the first loss is about ln V: with weights of std 0.02 every logit is near 0, so the
softmax gives every one of the V characters about 1 / V, and -log(1 / V) = ln V.

Conventions that matter here
----------------------------
- Arrays are float64, batch first (B, T, C); a parameter's gradient sums over every axis it
  was broadcast over. Token ids are integer arrays.
- init_gpt draws from one rng = np.random.default_rng(seed), rng.normal(0.0, std, size=shape),
  in the order its docstring gives, so every correct solution draws the same numbers.
- No function modifies its arguments: train returns a new dict of new arrays.

Worked example
--------------
    gelu([-1.0, 0.0, 1.0, 2.0])          = [-0.158808, 0.0, 0.841192, 1.954598]
    gelu_backward(ones, [-1, 0, 1, 2])   = [-0.082964, 0.5, 1.082964, 1.086099]

    init_gpt(4, 3, 2, seed=0)["wte"] = [[ 0.002515, -0.002642],
                                        [ 0.012808,  0.002098],
                                        [-0.010713,  0.007232],
                                        [ 0.026080,  0.018942]]
    with idx = [[0, 1, 0]], targets = [[1, 0, 2]]: loss = 1.385845, close to ln 4 = 1.386294.

    Embedding gradients, by hand: B = 2, T = 2, idx = [[3, 1], [3, 3]], C = 1,
    dx0 = [[[1.0], [2.0]], [[4.0], [8.0]]]:
    dwte[3] = 1 + 4 + 8 = 13 (three positions hold token 3), dwte[1] = 2, the other rows 0;
    dwpe[0] = 1 + 4 = 5, dwpe[1] = 2 + 8 = 10 (each position summed over the batch).
"""

from typing import Any

import numpy as np

# --- paste your exercise10 and exercise11 here -------------------------------------------------


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
    raise NotImplementedError("paste your layernorm_forward from exercise10")


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
    raise NotImplementedError("paste your layernorm_backward from exercise10")


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
    raise NotImplementedError("paste your causal_attention_forward from exercise11")


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
    raise NotImplementedError("paste your causal_attention_backward from exercise11")


# --- exercise12 ----------------------------------------------------------------------------------


def gelu(Z: np.ndarray) -> np.ndarray:
    """GELU, the tanh approximation (as torch's F.gelu(approximate="tanh")), elementwise.

    Inputs:
    - Z: any shape

    Returns:
    - A: shape of Z, 0.5 * Z * (1 + tanh(sqrt(2 / pi) * (Z + 0.044715 * Z**3)))
    """
    raise NotImplementedError("gelu: the tanh approximation, elementwise")


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
    raise NotImplementedError("gelu_backward: upstream times gelu's slope")


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
    raise NotImplementedError(
        "init_gpt: draw the weights in the order above, then the gains and biases"
    )


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
    raise NotImplementedError("gpt_forward: embeddings, two residual branches, the loss")


def gpt_backward(params: dict[str, np.ndarray], cache: Any) -> dict[str, np.ndarray]:
    """The backward pass of gpt_forward: the gradient of the loss for every parameter.

    Inputs:
    - params: the dict gpt_forward was given
    - cache: what gpt_forward returned with the loss

    Returns:
    - grads: a dict with the keys and shapes of params
    """
    raise NotImplementedError("gpt_backward: from dlogits back to the embeddings")


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
    raise NotImplementedError("train: draw windows, forward, backward, step")


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
    raise NotImplementedError("generate: sample one id at a time from the last position")
