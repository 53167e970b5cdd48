"""Author tooling: scaffold a new exercise (`bpgrade dev new`) and check a course's consistency
before a learner sees it (`bpgrade dev check`). The CLI in grader/cli/dev.py only parses and
prints; the work is here.

- `grader.authoring.consistency`: what `dev check` refuses, one `Problem` a line, each naming
  its file; and the catalog's check entries derived from a spec.
- `grader.authoring.scaffold`: the files of a new exercise, from the templates in
  `grader/authoring/templates/`.
"""
