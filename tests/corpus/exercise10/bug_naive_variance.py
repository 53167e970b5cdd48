# Bug: the variance as E[x**2] - E[x]**2, which cancels every digit when the mean is far larger than the spread.
import numpy as np


def batchnorm_forward(X, gamma, beta, eps=1e-5):
    mu = X.mean(axis=0)
    xc = X - mu
    var = (X**2).mean(axis=0) - mu**2
    xhat = xc / np.sqrt(var + eps)
    return gamma * xhat + beta


def batchnorm_backward(dY, X, gamma, eps=1e-5):
    N = X.shape[0]
    mu = X.mean(axis=0)
    xc = X - mu
    var = (X**2).mean(axis=0) - mu**2
    std = np.sqrt(var + eps)
    xhat = xc / std
    dxhat = dY * gamma
    dX = (N * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0)) / (N * std)
    dgamma = (dY * xhat).sum(axis=0)
    dbeta = dY.sum(axis=0)
    return dX, dgamma, dbeta


def running_stats(running_mean, running_var, X, momentum=0.1):
    N = X.shape[0]
    mu = X.mean(axis=0)
    var = ((X - mu) ** 2).sum(axis=0) / (N - 1)
    new_mean = (1 - momentum) * running_mean + momentum * mu
    new_var = (1 - momentum) * running_var + momentum * var
    return new_mean, new_var


def batchnorm_eval(X, gamma, beta, running_mean, running_var, eps=1e-5):
    return gamma * (X - running_mean) / np.sqrt(running_var + eps) + beta


def layernorm_forward(X, gamma, beta, eps=1e-5):
    mu = X.mean(axis=-1, keepdims=True)
    xc = X - mu
    var = (X**2).mean(axis=-1, keepdims=True) - mu**2
    xhat = xc / np.sqrt(var + eps)
    return gamma * xhat + beta


def layernorm_backward(dY, X, gamma, eps=1e-5):
    D = X.shape[-1]
    mu = X.mean(axis=-1, keepdims=True)
    xc = X - mu
    var = (X**2).mean(axis=-1, keepdims=True) - mu**2
    std = np.sqrt(var + eps)
    xhat = xc / std
    dxhat = dY * gamma
    dX = (
        D * dxhat
        - dxhat.sum(axis=-1, keepdims=True)
        - xhat * (dxhat * xhat).sum(axis=-1, keepdims=True)
    ) / (D * std)
    dgamma = (dY * xhat).reshape(-1, D).sum(axis=0)
    dbeta = dY.reshape(-1, D).sum(axis=0)
    return dX, dgamma, dbeta
