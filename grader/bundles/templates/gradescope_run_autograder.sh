#!/usr/bin/env bash
# Gradescope runs this as root for every submission. It grades /autograder/submission
# into /autograder/results/results.json and, whatever happens, leaves a valid results
# file there: a student must never be left with a bare "the autograder failed".
#
# Written by `bpgrade autograder gradescope`; regenerate it rather than editing it.
# AUTOGRADER_ROOT, BPGRADE_VENV and BPGRADE_BIN exist for testing the bundle outside
# Gradescope.
set -u

ROOT="${AUTOGRADER_ROOT:-/autograder}"
VENV="${BPGRADE_VENV:-/opt/bpgrade}"
BPGRADE="${BPGRADE_BIN:-$VENV/bin/bpgrade}"
SUBMISSION="$ROOT/submission"
RESULTS="$ROOT/results/results.json"

# A minimal Gradescope results.json. $1 is one of this script's own sentences (no quotes,
# no backslashes), never text from the submission.
fallback() {
    printf '{"score": 0.0, "output": "%s", "tests": []}\n' \
        "The autograder could not grade this submission: $1. This is not a problem with your code; please tell your instructor." \
        >"$RESULTS"
}

results_ok() {
    local python
    [ -s "$RESULTS" ] || return 1
    for python in "$VENV/bin/python" python3; do
        if command -v "$python" >/dev/null 2>&1; then
            "$python" -c 'import json, sys; json.load(open(sys.argv[1]))' "$RESULTS" 2>/dev/null
            return
        fi
    done
    return 0 # nothing to parse JSON with: a non-empty file will do
}

# Left readable: the platform's harness may read it as another user than root.
mkdir -p "$(dirname "$RESULTS")"
# Only a file written by this run counts.
rm -f "$RESULTS"

if ! command -v "$BPGRADE" >/dev/null 2>&1; then
    echo "bpgrade not found at $BPGRADE: did setup.sh fail? See the build log." >&2
    fallback "bpgrade is not installed in the autograder image"
    exit 0
fi

# Progress files and the like land in a scratch folder, not in /autograder.
cd "$(mktemp -d)" || exit 0

# the results path goes in the environment, not on the command line: any user can read a
# process's command line in /proc, but not a root process's environment
export BPGRADE_OUTPUT="$RESULTS"
set -- check --all --dir "$SUBMISSION" --format gradescope --timeout @TIMEOUT@ --memory @MEMORY@
student="$("$BPGRADE" autograder student-id "$SUBMISSION" 2>/dev/null)" || student=""
if [ -n "$student" ]; then
    set -- "$@" --student-id "$student"
fi
# For the instructor's log only: reproduce these cases with `bpgrade check --student-id`.
echo "student id: ${student:-none found}"

"$BPGRADE" "$@"
status=$?
echo "bpgrade check exited with status $status"

if ! results_ok; then
    echo "bpgrade left no valid $RESULTS; writing the fallback" >&2
    fallback "the grader stopped (exit status $status) before writing its results"
fi
exit 0
