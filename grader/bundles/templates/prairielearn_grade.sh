#!/usr/bin/env bash
# PrairieLearn's external grader runs this as root in a fresh container for every
# submission, as the question's entrypoint:
#     /grade/serverFilesCourse/bpgrade/grade.sh EXERCISE
# It grades /grade/student into /grade/results/results.json and, whatever happens, leaves
# a valid results file there. It installs nothing and downloads nothing: bpgrade and its
# dependencies lie unpacked in site/X.Y beside it, for CPython @PYTHONS@ on Linux (@ARCH@),
# and a .pth file puts them on the path of the image's Python (the stock
# prairielearn/grader-python image's /venv), where the sandbox's isolated interpreter
# finds them too. Learner code imports @IMPORTS@ from the image's own packages.
#
# Written by `bpgrade autograder prairielearn`; regenerate it rather than editing it.
# PL_GRADE_ROOT, BPGRADE_BIN (a bpgrade to run) and BPGRADE_PYTHON (the image's
# interpreter) exist for testing outside PrairieLearn.
set -u

JOB="${PL_GRADE_ROOT:-/grade}"
SOURCE="$JOB/serverFilesCourse/bpgrade"
STUDENT="$JOB/student"
RESULTS="$JOB/results/results.json"
PYTHON="${BPGRADE_PYTHON:-python3}"
VERSIONS=" @PYTHONS@ "
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

# bpgrade as a command: the one BPGRADE_BIN or the image names, else the bundled one,
# put on the image's Python path. Says on stderr, for the job's log, what is wrong.
find_bpgrade() {
    local version site purelib
    if [ -n "${BPGRADE_BIN:-}" ]; then
        BPGRADE=("$BPGRADE_BIN")
        return 0
    fi
    if command -v bpgrade >/dev/null 2>&1; then
        BPGRADE=(bpgrade) # an image that carries bpgrade already
        return 0
    fi
    if ! version="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"; then
        PROBLEM="the grading image has no $PYTHON"
        return 1
    fi
    site="$SOURCE/site/$version"
    if [ "${VERSIONS#* "$version" }" = "$VERSIONS" ] || [ ! -d "$site" ]; then
        echo "rebuild with: bpgrade autograder prairielearn --python $version" >&2
        PROBLEM="the grading image runs Python $version, and the course's copy of bpgrade is for${VERSIONS% }"
        return 1
    fi
    if ! "$PYTHON" -c 'import @IMPORTS@' >&2; then
        PROBLEM="the grading image lacks a package learner code needs (@IMPORTS@)"
        return 1
    fi
    purelib="$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')" &&
        echo "$site" >"$purelib/bpgrade.pth" || {
        PROBLEM="the course's copy of bpgrade could not be put on the image's Python path"
        return 1
    }
    BPGRADE=("$PYTHON" -m grader)
}

# Left readable: the platform's harness may read it as another user than root.
mkdir -p "$(dirname "$RESULTS")"
# Only a file written by this run counts.
rm -f "$RESULTS"

if [ -z "$EXERCISE" ]; then
    fallback "the question names no exercise (its entrypoint should end with one)"
    exit 0
fi

BPGRADE=()
PROBLEM=""
if ! find_bpgrade; then
    fallback "$PROBLEM"
    exit 0
fi

# Reference solutions, quiz keys and the question's data: readable by root only, before
# any learner code runs. PrairieLearn also copies serverFilesCourse to /grade/shared.
chmod -R go-rwx "$JOB/serverFilesCourse" "$JOB/shared" "$JOB/data" "$JOB/tests" 2>/dev/null
if ! "${BPGRADE[@]}" autograder lock >&2; then
    fallback "the reference solutions could not be locked away from learner code"
    exit 0
fi

# Progress files and the like land in a scratch folder, not in /grade.
cd "$(mktemp -d)" || exit 0

# the results path goes in the environment, not on the command line, which any user can read
export BPGRADE_OUTPUT="$RESULTS"
set -- check "$EXERCISE" --dir "$STUDENT" --format prairielearn \
    --timeout @TIMEOUT@ --memory @MEMORY@
student="$("${BPGRADE[@]}" autograder student-id "$STUDENT" 2>/dev/null)" || student=""
if [ -n "$student" ]; then
    set -- "$@" --student-id "$student"
fi
# For the instructor's log only: reproduce these cases with `bpgrade check --student-id`.
echo "student id: ${student:-none found}"

"${BPGRADE[@]}" "$@"
status=$?
echo "bpgrade check exited with status $status"

if ! results_ok; then
    echo "bpgrade left no valid $RESULTS; writing the fallback" >&2
    fallback "the grader stopped (exit status $status) before writing its results"
fi
exit 0
