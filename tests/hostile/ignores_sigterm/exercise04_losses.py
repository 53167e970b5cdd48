"""BPGRADE-HOSTILE submission for exercise04 (attack: ignores_sigterm).

mse_loss, mse_backward and softmax are the reference solution. While it is imported, the file
ignores every signal a grader might use to stop it politely (SIGTERM, SIGINT, SIGHUP, SIGQUIT,
SIGALRM, SIGVTALRM, SIGPROF, SIGXCPU, SIGUSR1, SIGUSR2), and blocks them as well; then
softmax_cross_entropy, the last function called, spins forever inside a try that swallows
every exception, so a timeout raised from a signal handler (or a KeyboardInterrupt) only
starts the next lap.

A grader that stops code with SIGTERM, SIGINT, signal.alarm or a soft CPU limit waits forever.
The grader must stop it with what cannot be ignored (SIGKILL, the hard CPU limit), keep what
the other functions returned, and say that the time ran out: 6 of 10 (mse_loss 1,
mse_backward 2, softmax 2, softmax.stable 1).
"""

import contextlib
import signal

import numpy as np

POLITE = (
    "SIGTERM",
    "SIGINT",
    "SIGHUP",
    "SIGQUIT",
    "SIGALRM",
    "SIGVTALRM",
    "SIGPROF",
    "SIGXCPU",
    "SIGUSR1",
    "SIGUSR2",
)


def _deaf() -> None:
    numbers = [getattr(signal, name) for name in POLITE if hasattr(signal, name)]
    for number in numbers:
        with contextlib.suppress(OSError, ValueError, RuntimeError):
            signal.signal(number, signal.SIG_IGN)
    with contextlib.suppress(OSError, ValueError, AttributeError):
        signal.pthread_sigmask(signal.SIG_BLOCK, numbers)


_deaf()


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
    _deaf()  # again, in case the grader restored its handlers after the import
    while True:
        try:
            while True:
                pass
        except BaseException:  # a timeout, a KeyboardInterrupt, SystemExit: go round again
            continue
