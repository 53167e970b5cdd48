"""Quizzes: questions as data files, graded in the terminal or from an answers file.

    models      the quiz file format (pydantic), the one description of a quiz
    expression  the safe arithmetic language of computed answers
    loader      TOML -> Quiz, with errors that name file, question, field and line
    variants    the per-learner seed, option order and param draws
    answers     the answers file read by --answers
    grading     the scoring rules, and the result model printed by --json
    session     the interactive quiz in the terminal, and its end-of-quiz review
    attempt     a stopped attempt's answers, saved as given, to resume
    wrap        text wrapped to the terminal, never inside a word or a formula
    listing     every quiz of the course with where the learner stands in it
    export      GIFT, QTI 1.2 for Canvas, and Markdown

Data flows one way: file -> loader -> Quiz -> variant -> answers -> grading -> result.
"""
