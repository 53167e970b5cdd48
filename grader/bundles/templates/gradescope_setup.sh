#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image, with the zip
# unpacked in /autograder/source. It installs bpgrade (and the course it carries) into a
# virtual environment of its own from the wheels in the zip, with pip's index switched off,
# checks that the reference solutions score full marks there, then locks the solutions away
# from the unprivileged user learner code runs as.
#
# The wheels fit CPython @PYTHONS@ on Linux (@ARCH@). Where the image has none of these
# (Ubuntu 22.04's own python3 is 3.10), the first is installed from the Ubuntu archive: the
# one download, made while the image is built, never while a submission is graded.
#
# Written by `bpgrade autograder gradescope`; regenerate it rather than editing it.
# AUTOGRADER_ROOT, BPGRADE_VENV, BPGRADE_PYTHON (an interpreter to use) and
# BPGRADE_SKIP_INSTALL=1 exist for testing the bundle outside Gradescope.
set -euo pipefail

ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
WHEELS="$SOURCE/wheels"
PIP_WHEEL="$WHEELS/@PIP_WHEEL@"
# Outside /autograder/source, which is locked below, and world-readable: learner code
# runs as an unprivileged uid and needs this interpreter and NumPy.
VENV="${BPGRADE_VENV:-/opt/bpgrade}"
VERSIONS=(@PYTHONS@)

# A Python whose version the bundled wheels were fetched for.
find_python() {
    local candidate version
    if [ -n "${BPGRADE_PYTHON:-}" ]; then
        echo "$BPGRADE_PYTHON"
        return 0
    fi
    for version in "${VERSIONS[@]}"; do
        for candidate in "python$version" python3; do
            if command -v "$candidate" >/dev/null 2>&1 &&
                [ "$("$candidate" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" = "$version" ]; then
                command -v "$candidate"
                return 0
            fi
        done
    done
    return 1
}

apt_install() {
    apt-get update >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >&2
}

ensure_python() {
    local python
    if ! python="$(find_python)"; then
        echo "no Python ${VERSIONS[*]} in the image: installing python${VERSIONS[0]}" >&2
        apt_install "python${VERSIONS[0]}"
        python="$(find_python)"
    fi
    echo "$python"
}

# No pip needed in the image: the bundled wheel of pip installs the rest. Debian and Ubuntu
# ship ensurepip separately, so the environment is made without it.
make_venv() {
    local python="$1" version
    if ! "$python" -m venv --without-pip "$VENV" >&2; then
        version="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
        apt_install "python$version-venv"
        "$python" -m venv --without-pip "$VENV" >&2
    fi
}

install_bpgrade() {
    local python
    python="$(ensure_python)"
    make_venv "$python"
    # Not editable: the installed package carries its own copy of the course.
    "$VENV/bin/python" "$PIP_WHEEL/pip" install --quiet --disable-pip-version-check \
        --no-cache-dir --no-index --find-links "$WHEELS" "@REQUIREMENT@"
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
