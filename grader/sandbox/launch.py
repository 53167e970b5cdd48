"""Starting a zygote process: its command and environment, and a start made early.

A zygote takes a fresh interpreter and a NumPy import (a quarter of a second) before it is
ready, and `bpgrade check` has its own imports to do meanwhile: started before them, first
thing in the command, it is ready about when the grader is. This module imports nothing heavy
(no NumPy, no click), so that it can be the first thing the command loads; the `Sandbox` that
needs a zygote then adopts the one started early, if it was started for the same runtime with
the same environment, rather than start another.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import tempfile

from grader.sandbox.limits import DEFAULT_RUNTIME, THREADS, is_root

# the only variables of the grader's environment a zygote is given: learner code inherits its
ENV_KEPT = ("PATH", "LANG", "LC_ALL", "SYSTEMROOT")

# runtime -> (the environment it was started with, the process); at most one per runtime
_early: dict[str, tuple[dict[str, str], subprocess.Popen[bytes]]] = {}


def zygote_env(runtime: str, without: frozenset[str] = frozenset()) -> dict[str, str]:
    """The scrubbed environment of a runtime's zygote, which its children inherit."""
    env = {k: v for k, v in os.environ.items() if k in ENV_KEPT}
    env.update(THREADS)
    env["BPGRADE_RUNTIME"] = runtime
    if without:
        env["BPGRADE_SANDBOX_WITHOUT"] = ",".join(sorted(without))
    return env


def spawn(env: dict[str, str]) -> subprocess.Popen[bytes]:
    """A zygote process, not yet ready: its first frame on stdout says when it is.

    It dies with the thread that starts it (its PR_SET_PDEATHSIG), so the caller starts it from
    a thread that lives as long as the zygote is used."""
    return subprocess.Popen(
        [sys.executable, "-I", "-m", "grader.sandbox.zygote"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
        cwd=tempfile.gettempdir(),
        start_new_session=True,  # Ctrl-C in the terminal reaches the grader, which stops it
    )


def start_early(runtime: str = DEFAULT_RUNTIME) -> None:
    """Start the runtime's zygote now, from the main thread, for a sandbox to adopt later."""
    if runtime not in _early:
        env = zygote_env(runtime)
        _early[runtime] = (env, spawn(env))
        atexit.register(_stop_unadopted)  # a check that never got to grade (bad usage)


def adopt(runtime: str, env: dict[str, str]) -> subprocess.Popen[bytes] | None:
    """The zygote started early for `runtime`, if it was started with `env` and still runs;
    one that cannot be used is stopped. Each is adopted once."""
    early = _early.pop(runtime, None)
    if early is None:
        return None
    started_with, zygote = early
    if started_with == env and zygote.poll() is None:
        return zygote
    _stop(zygote)
    return None


def _stop(zygote: subprocess.Popen[bytes]) -> None:
    zygote.kill()
    zygote.wait()
    for stream in (zygote.stdin, zygote.stdout):
        if stream is not None:
            stream.close()
    if is_root():  # the folder of control groups it made as root, empty
        from grader.sandbox.cgroups import remove_left_by

        remove_left_by(zygote.pid)


def _stop_unadopted() -> None:
    for runtime in list(_early):
        _stop(_early.pop(runtime)[1])
