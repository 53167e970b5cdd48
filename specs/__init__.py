"""The course's check specs, one module per exercise, named as the catalog names it.

They hold what the engine cannot know: the cases that meet each mistake, the mistakes'
models (near-solutions, so this folder is as secret as solutions/), and the sentences a
learner reads. The engine (grader/checks/) loads them from the course folder by name.
"""
