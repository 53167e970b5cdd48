"""The grading engine: one process per user and installation that keeps what a check needs
warm (NumPy, the grader's modules, a `grader.api.Session` and its sandbox per course) and
answers `bpgrade check`, `list` and `next` over a Unix socket, so that a re-check costs a
fork of a warm sandbox rather than a new interpreter.

`front` is the `bpgrade` entry point: standard library only, it hands those commands to the
engine (starting one when none runs) and prints what it sends back; everything else, and
anything about the engine that fails, runs in-process as before. `place` is where the socket
lives and who may use it; `wire` the frames between them; `server` the engine itself;
`loaded` what it loaded, to notice when that changed.

The trust line is the in-process one: the engine runs the same click command, learner code
only in the sandbox's children, judged in the engine, never where it ran.
"""
