"""BPGRADE-HOSTILE submission for exercise04 (attack: read_stdin).

The reference solution, except that softmax_cross_entropy, the last function called, pauses
for the learner with input("Press Enter to compute the cross-entropy...") before computing
(a common debugging habit). With the grader's terminal or an open pipe on stdin, it blocks
forever. The grader must give learner code no stdin to wait on (/dev/null, so input() raises
EOFError at once), fail softmax_cross_entropy with the input() line named in the message, and
keep the rest: 6 of 10 (mse_loss 1, mse_backward 2, softmax 2, softmax.stable 1).
"""

import numpy as np


def mse_loss(Y_hat: np.ndarray, Y: np.ndarray) -> float:
    return float(np.mean((Y_hat - Y) ** 2))


def mse_backward(Y_hat: np.ndarray, Y: np.ndarray) -> np.ndarray:
    return 2.0 * (Y_hat - Y) / Y.size


def softmax(Z: np.ndarray) -> np.ndarray:
    shifted = Z - Z.max(axis=1, keepdims=True)
    with np.errstate(under="ignore"):
        e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    input("Press Enter to compute the cross-entropy...")
    N = logits.shape[0]
    rows = np.arange(N)
    shifted = logits - logits.max(axis=1, keepdims=True)
    with np.errstate(under="ignore"):
        log_sum_exp = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    log_probs = shifted - log_sum_exp
    loss = -np.mean(log_probs[rows, labels])
    onehot = np.zeros_like(logits, dtype=np.float64)
    onehot[rows, labels] = 1.0
    dlogits = (softmax(logits) - onehot) / N
    return float(loss), dlogits
