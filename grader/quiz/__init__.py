"""Quizzes: questions as data files, graded in the terminal or from an answers file.

    models      the quiz file format (pydantic), the one description of a quiz
    expression  the safe arithmetic language of computed answers
    loader      TOML -> Quiz, with errors that name file, question, field and line
    variants    the per-learner seed, option order and param draws
    answers     the answers file read by --answers
    grading     the scoring rules, and the result model printed by --json
    session     the interactive quiz in the terminal
    export      GIFT, QTI 1.2 for Canvas, and Markdown

Data flows one way: file -> loader -> Quiz -> variant -> answers -> grading -> result.
"""
