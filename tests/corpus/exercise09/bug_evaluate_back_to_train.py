"""Exercise 09: the training loop and two autograd Functions.

One mistake: evaluate always switches back to train mode."""

import torch


def train_step(model, optimizer, loss_fn, X, y):
    model.train()
    optimizer.zero_grad()
    output = model(X)
    loss = loss_fn(output, y)
    loss.backward()
    optimizer.step()
    return loss.item()


def evaluate(model, loss_fn, X, y):
    model.eval()
    with torch.no_grad():
        loss = loss_fn(model(X), y)
    model.train()
    return loss.item()


def accumulated_step(model, optimizer, loss_fn, batches):
    model.train()
    optimizer.zero_grad()
    N = sum(X.shape[0] for X, _ in batches)
    total = 0.0
    for X, y in batches:
        loss = loss_fn(model(X), y)
        weight = X.shape[0] / N
        (loss * weight).backward()
        total += loss.item() * weight
    optimizer.step()
    return total


class LinearFunction(torch.autograd.Function):
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
    @staticmethod
    def forward(ctx, Z):
        A = torch.sigmoid(Z)
        ctx.save_for_backward(A)
        return A

    @staticmethod
    def backward(ctx, dA):
        (A,) = ctx.saved_tensors
        return dA * A * (1 - A)
