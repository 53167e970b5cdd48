#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image, with the zip
# unpacked in /autograder/source. It installs bpgrade (and the course it carries) into a
# virtual environment of its own, checks that the reference solutions score full marks
# there, then locks the solutions away from the unprivileged user learner code runs as.
#
# Written by `bpgrade autograder gradescope`; regenerate it rather than editing it.
# AUTOGRADER_ROOT, BPGRADE_VENV and BPGRADE_SKIP_INSTALL=1 exist for testing the bundle
# outside Gradescope.
set -euo pipefail

ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
# Outside /autograder/source, which is locked below, and world-readable: learner code
# runs as an unprivileged uid and needs this interpreter and NumPy.
VENV="${BPGRADE_VENV:-/opt/bpgrade}"

# The first Python 3.11 or newer on the image (Ubuntu 22.04's python3 is 3.10).
find_python() {
    local candidate
    for candidate in python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

apt_install() {
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >&2
}

# A Python that can make a virtual environment, installing one if the image has none:
# Ubuntu ships venv's pip bootstrap separately, as python3.X-venv.
ensure_python() {
    local python version
    if ! python="$(find_python)"; then
        apt-get update >&2
        apt_install python3.11 python3.11-venv
        python="$(find_python)"
    fi
    if ! "$python" -c 'import ensurepip, venv' >/dev/null 2>&1; then
        version="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
        apt-get update >&2
        apt_install "python$version-venv"
    fi
    echo "$python"
}

install_bpgrade() {
    local python
    python="$(ensure_python)"
    "$python" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
@TORCH_INSTALL@
    # Not editable: the installed package carries its own copy of the course.
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$SOURCE"
    chmod -R a+rX "$VENV"
    "$VENV/bin/bpgrade" --version
}

# The grader in its new home grades the reference solutions: full marks or the build fails,
# so a broken image is found by the instructor, not by the first student.
self_test() {
    local course workdir
    course="$(env -u BPGRADE_COURSE "$VENV/bin/python" -c \
        'from grader.course import course_root; print(course_root())')"
    workdir="$(mktemp -d)"
    (cd "$workdir" && env -u BPGRADE_COURSE "$VENV/bin/bpgrade" check --all --dir "$course/solutions")
    rm -rf "$workdir"
}

if [ "${BPGRADE_SKIP_INSTALL:-0}" != 1 ]; then
    install_bpgrade
    self_test
fi

# Reference solutions and quiz keys: readable by root (the grader) only.
if [ -x "$VENV/bin/bpgrade" ]; then
    env -u BPGRADE_COURSE "$VENV/bin/bpgrade" autograder lock
fi
chmod -R go-rwx "$SOURCE"
echo "bpgrade is installed in $VENV; the reference solutions are readable by root only."
