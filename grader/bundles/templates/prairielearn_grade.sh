#!/usr/bin/env bash
# PrairieLearn's external grader runs this as root in a fresh container for every
# submission, as the question's entrypoint:
#     /grade/serverFilesCourse/bpgrade/grade.sh EXERCISE
# It installs bpgrade from this folder (unless the image already has it), grades
# /grade/student into /grade/results/results.json and, whatever happens, leaves a valid
# results file there.
#
# Written by `bpgrade autograder prairielearn`; regenerate it rather than editing it.
# PL_GRADE_ROOT and BPGRADE_BIN exist for testing outside PrairieLearn.
set -u

JOB="${PL_GRADE_ROOT:-/grade}"
SOURCE="$JOB/serverFilesCourse/bpgrade"
STUDENT="$JOB/student"
RESULTS="$JOB/results/results.json"
BPGRADE="${BPGRADE_BIN:-bpgrade}"
EXERCISE="${1:-}"

# Grading broke, not the student's code: `gradable: false` costs the student no attempt.
# $1 is one of this script's own sentences (no quotes, no backslashes).
fallback() {
    local message="The autograder could not grade this submission: $1. This is not a problem with your code; please tell your instructor."
    printf '{"gradable": false, "score": 0.0, "message": "%s", "format_errors": ["%s"]}\n' \
        "$message" "$message" >"$RESULTS"
}

results_ok() {
    [ -s "$RESULTS" ] || return 1
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$RESULTS" 2>/dev/null
    fi
}

# The grading image may be the stock prairielearn/grader-python (a uv virtual environment
# without pip, so uv installs) or any image with Python 3.11+ and pip.
install_bpgrade() {
    if command -v "$BPGRADE" >/dev/null 2>&1; then
        return 0 # a custom image that carries bpgrade already
    fi
    if command -v uv >/dev/null 2>&1; then
        uv pip install --quiet --python "$(command -v python3)" "$SOURCE"
    else
        python3 -m pip install --quiet --disable-pip-version-check "$SOURCE"
    fi
    command -v "$BPGRADE" >/dev/null 2>&1 # installed where this shell finds it
}

# Left readable: the platform's harness may read it as another user than root.
mkdir -p "$(dirname "$RESULTS")"
# Only a file written by this run counts.
rm -f "$RESULTS"

if [ -z "$EXERCISE" ]; then
    fallback "the question names no exercise (its entrypoint should end with one)"
    exit 0
fi

if ! install_bpgrade >&2; then
    fallback "bpgrade could not be installed in the grading container (is networking enabled?)"
    exit 0
fi

# Reference solutions, quiz keys and the question's data: readable by root only, before
# any learner code runs. PrairieLearn also copies serverFilesCourse to /grade/shared.
chmod -R go-rwx "$JOB/serverFilesCourse" "$JOB/shared" "$JOB/data" "$JOB/tests" 2>/dev/null
if ! "$BPGRADE" autograder lock >&2; then
    fallback "the reference solutions could not be locked away from learner code"
    exit 0
fi

# Progress files and the like land in a scratch folder, not in /grade.
cd "$(mktemp -d)" || exit 0

# the results path goes in the environment, not on the command line, which any user can read
export BPGRADE_OUTPUT="$RESULTS"
set -- check "$EXERCISE" --dir "$STUDENT" --format prairielearn \
    --timeout @TIMEOUT@ --memory @MEMORY@
student="$("$BPGRADE" autograder student-id "$STUDENT" 2>/dev/null)" || student=""
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
