"""Autograder bundles: what an instructor uploads to Gradescope or adds to a PrairieLearn
course so that the platform grades submissions with bpgrade.

`gradescope.build` writes autograder.zip; `prairielearn.build` writes the course files;
`source` lists what both ship (the grader's source and the course) and fills in the shell
scripts in `templates/`.
"""
