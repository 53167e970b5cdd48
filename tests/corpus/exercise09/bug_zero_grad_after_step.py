"""Exercise 09: PyTorch, the training loop and a custom autograd Function.

From here on PyTorch does the bookkeeping you did by hand in exercises 03 to 05. This exercise
is about what that bookkeeping is: when gradients are made, where they are stored, when they are
thrown away, and what a layer's backward pass looks like inside torch.

Everything is float64 (the grader builds its models and tensors in float64).

The training loop
-----------------
A model's parameters are tensors with requires_grad=True. Calling loss.backward() ADDS each
parameter's gradient into its .grad (it never overwrites it); optimizer.step() moves each
parameter that has a .grad (one that is None is skipped); optimizer.zero_grad() sets every
.grad to None (PyTorch's default, set_to_none=True). So one step is, in this order:

    model.train()            the mode a training step runs in (dropout on, batchnorm updating)
    optimizer.zero_grad()    forget the gradients of the last step
    forward, then the loss   a scalar tensor, the mean over the batch
    loss.backward()          fills every .grad
    optimizer.step()         uses them

and the function returns the loss before the update as a Python float (loss.item()): a
tensor that requires grad keeps the whole graph of the forward pass alive.

    train_step(model, optimizer, loss_fn, X, y) -> float

Evaluation asks for the loss only: no graph, no gradients, no change to the model. Under
torch.no_grad() no graph is built (and nothing can be backpropagated); model.eval() switches
every module to evaluation mode (dropout off, batchnorm using its running statistics). They
are two different switches, and evaluation needs both. The caller's mode is theirs: note
model.training first and put it back afterwards (model.train(mode) sets every submodule).

    evaluate(model, loss_fn, X, y) -> float

Gradient accumulation: a batch too large for memory is split into micro-batches, backward is
called once per micro-batch (the gradients add up in .grad), and the optimizer steps once. The
result must be the step train_step takes on the whole batch. loss_fn is a mean, so a
micro-batch of n examples out of N in all must count n / N of the whole: weight its loss by
n / N before backward. Dividing by the number of micro-batches is right only when they all
have the same size. The function returns the mean loss over all N examples.

    accumulated_step(model, optimizer, loss_fn, batches) -> float
        batches: a list of (X, y) pairs, of possibly unequal sizes

A custom autograd Function
--------------------------
torch.autograd.Function is how torch itself defines an operation: a forward that computes
the output and saves what the backward will need, and a backward that receives the upstream
gradient and returns one gradient per input of forward, in order, each of its input's shape.

    class LinearFunction(torch.autograd.Function):
        forward(ctx, X, W, b):  Z = X @ W.T + b          X (N, D_in), W (D_out, D_in), b (D_out,)
        backward(ctx, dZ):      returns (dX, dW, db)    (N, D_in), (D_out, D_in), (D_out,)

    class SigmoidFunction(torch.autograd.Function):
        forward(ctx, Z):        A = sigmoid(Z), and save A (the output)
        backward(ctx, dA):      returns dZ = dA * A * (1 - A)

These are the formulas of exercises 02 and 03, written with torch operations. Use
ctx.save_for_backward(...) in forward and ctx.saved_tensors in backward. Call a Function with
.apply: Z = LinearFunction.apply(X, W, b). The grader judges the tuple your backward returns
itself: torch would quietly sum a db of the wrong shape (N, D_out) for you.

Worked example (N = 1, D_in = 2, D_out = 1)
-------------------------------------------
    X = [[1.0, 2.0]],  W = [[0.5, -1.0]],  b = [0.25]
    Z = 1.0 * 0.5 + 2.0 * -1.0 + 0.25 = [[-1.25]]
    with dZ = [[2.0]]:  dX = [[1.0, -2.0]],  dW = [[2.0, 4.0]],  db = [2.0]

    sigmoid(0.0) = 0.5; with dA = 4.0 its backward gives 4.0 * 0.5 * 0.5 = 1.0

    A model y = w * x + b with w = 1.0, b = 0.0, MSE loss, SGD with lr = 0.1, and the batch
    x = [1.0, 3.0], y = [2.0, 2.0]: the predictions are [1.0, 3.0], the loss
    ((1 - 2)**2 + (3 - 2)**2) / 2 = 1.0, dw = (2 * -1 * 1 + 2 * 1 * 3) / 2 = 2.0,
    db = (2 * -1 + 2 * 1) / 2 = 0.0; after one step w = 0.8, b = 0.0, and train_step returns 1.0.
    As micro-batches [1.0] and [3.0] (one example each), their losses are 1.0 and 1.0, each
    weighted by 1 / 2: the same gradients, the same step, and the mean loss 1.0.

Checking your work
------------------
    bpgrade check exercise09     # grade this file, check by check
"""

import torch


def train_step(model, optimizer, loss_fn, X, y):
    """One optimization step on the batch (X, y).

    Args:
        model: a torch.nn.Module, in any mode when handed over.
        optimizer: a torch.optim optimizer over the model's parameters.
        loss_fn: the loss, a mean over the batch: loss_fn(model(X), y) is a scalar tensor.
        X: the inputs, a float64 tensor (N, D_in).
        y: the targets, a tensor that loss_fn takes with model(X).

    Returns:
        The loss before the update, a Python float. The model's parameters are updated in place
        by the optimizer; X and y are left unchanged.
    """
    model.train()
    loss = loss_fn(model(X), y)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    return loss.item()


def evaluate(model, loss_fn, X, y):
    """The loss on (X, y) in evaluation mode, without building a graph.

    Args:
        model: a torch.nn.Module, in any mode when handed over.
        loss_fn: the loss, a mean over the batch.
        X: the inputs, a float64 tensor (N, D_in).
        y: the targets.

    Returns:
        The loss, a Python float. No .grad changes, and afterwards the model and every one of
        its submodules are in the mode they were in before.
    """
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            loss = loss_fn(model(X), y)
    finally:
        model.train(was_training)
    return loss.item()


def accumulated_step(model, optimizer, loss_fn, batches):
    """One optimization step over several micro-batches, equal to train_step on them all.

    Args:
        model: a torch.nn.Module, in any mode when handed over.
        optimizer: a torch.optim optimizer over the model's parameters.
        loss_fn: the loss, a mean over each micro-batch.
        batches: a list of (X, y) pairs, X (n_i, D_in), of possibly unequal sizes n_i.

    Returns:
        The mean loss over all the examples (sum of n_i * loss_i over sum of n_i), a Python
        float. The parameters take one optimizer step; the micro-batches are left unchanged.
    """
    model.train()
    optimizer.zero_grad()
    total = sum(len(X) for X, _ in batches)
    mean_loss = 0.0
    for X, y in batches:
        share = len(X) / total
        loss = loss_fn(model(X), y)
        (loss * share).backward()
        mean_loss += loss.item() * share
    optimizer.step()
    return mean_loss


class LinearFunction(torch.autograd.Function):
    """Z = X @ W.T + b, with its own backward pass.

    forward(ctx, X, W, b): X (N, D_in), W (D_out, D_in), b (D_out,) -> Z (N, D_out).
    backward(ctx, dZ): dZ (N, D_out) -> (dX, dW, db), of the shapes of X, W and b.
    """

    @staticmethod
    def forward(ctx, X, W, b):
        ctx.save_for_backward(X, W)
        return X @ W.T + b

    @staticmethod
    def backward(ctx, dZ):
        X, W = ctx.saved_tensors
        dX = dZ @ W
        dW = dZ.T @ X
        db = dZ.sum(dim=0)
        return dX, dW, db


class SigmoidFunction(torch.autograd.Function):
    """A = sigmoid(Z), elementwise, with its own backward pass.

    forward(ctx, Z): Z of any shape -> A of the same shape; saves A for the backward pass.
    backward(ctx, dA): dA of A's shape -> dZ = dA * A * (1 - A).
    """

    @staticmethod
    def forward(ctx, Z):
        A = torch.sigmoid(Z)
        ctx.save_for_backward(A)
        return A

    @staticmethod
    def backward(ctx, dA):
        (A,) = ctx.saved_tensors
        return dA * A * (1 - A)
