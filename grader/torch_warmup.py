"""torch's first uses, made once ahead of need: in the torch zygote before any child forks,
and in the grader while the children of a torch exercise run.

`import torch` is only the start of torch's cost: each first use loads more of it, seconds
in all on a busy machine (the first optimizer imports torch's compiler front end, torch._dynamo,
1.7 s; a backward with an upstream gradient imports sympy, 0.3 s). Whoever meets them on the
critical path pays them there: a child in every submission, the judge in every cold check.

Only torch's own objects are touched here, on tiny float64 tensors: no learner code, no
reference, nothing of the course. The number of threads is the caller's to set (the zygote
keeps one per child; a notebook's kernel keeps its own).
"""

from __future__ import annotations


def first_uses() -> None:
    """Import torch and do once what the course's drivers do first: an optimizer, a forward
    pass, a loss and a backward with an upstream gradient, a step.

    Without drawing from torch's random generator (no module's default initialisation): in a
    notebook the grader shares its process with the learner's seeded experiments."""
    import torch

    x = torch.ones(1, 2, dtype=torch.float64, requires_grad=True)
    (2 * x).backward(torch.ones_like(x))
    weight = torch.nn.Parameter(torch.zeros(1, 2, dtype=torch.float64))
    step = torch.optim.SGD([weight], lr=0.1, momentum=0.9)
    output = torch.nn.functional.linear(x.detach(), weight)
    torch.nn.MSELoss()(output, torch.zeros(1, 1, dtype=torch.float64)).backward()
    step.step()
    step.zero_grad()
