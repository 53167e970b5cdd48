"""bpgrade: auto-graded exercises and quizzes for learning backpropagation."""

__version__ = "0.1.0"
