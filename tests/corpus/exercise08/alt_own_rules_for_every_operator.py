"""A right answer in another style: every operator has its own rule (subtraction, division and
negation too, no rewriting into + and *), the sort keeps an iterator per node on its stack,
and backward walks the order with an index."""

import math


class Value:
    def __init__(self, data, children=(), op=""):
        self.data = float(data)
        self.grad = 0.0
        self.children = tuple(children)
        self.op = op
        self._backward = lambda: None

    @staticmethod
    def _lift(x):
        return x if isinstance(x, Value) else Value(x)

    def _binary(self, other, data, op, dself, dother):
        out = Value(data, (self, other), op)

        def _backward():
            self.grad += dself * out.grad
            other.grad += dother * out.grad

        out._backward = _backward
        return out

    def _unary(self, data, op, slope):
        out = Value(data, (self,), op)

        def _backward():
            self.grad += slope(out) * out.grad

        out._backward = _backward
        return out

    def __add__(self, other):
        other = Value._lift(other)
        return self._binary(other, self.data + other.data, "+", 1.0, 1.0)

    def __radd__(self, other):
        return Value._lift(other) + self

    def __sub__(self, other):
        other = Value._lift(other)
        return self._binary(other, self.data - other.data, "-", 1.0, -1.0)

    def __rsub__(self, other):
        return Value._lift(other) - self

    def __mul__(self, other):
        other = Value._lift(other)
        return self._binary(other, self.data * other.data, "*", other.data, self.data)

    def __rmul__(self, other):
        return Value._lift(other) * self

    def __truediv__(self, other):
        other = Value._lift(other)
        q = self.data / other.data
        return self._binary(other, q, "/", 1.0 / other.data, -q / other.data)

    def __rtruediv__(self, other):
        return Value._lift(other) / self

    def __neg__(self):
        return self._unary(-self.data, "neg", lambda out: -1.0)

    def __pow__(self, k):
        x = self.data
        return self._unary(x**k, f"**{k}", lambda out: k * x ** (k - 1))

    def exp(self):
        return self._unary(math.exp(self.data), "exp", lambda out: out.data)

    def log(self):
        x = self.data
        return self._unary(math.log(x), "log", lambda out: 1.0 / x)

    def tanh(self):
        return self._unary(math.tanh(self.data), "tanh", lambda out: 1.0 - out.data**2)

    def relu(self):
        positive = self.data > 0
        return self._unary(self.data if positive else 0.0, "relu", lambda out: float(positive))

    def backward(self):
        order = topological_order(self)
        self.grad = 1.0
        for i in range(len(order) - 1, -1, -1):
            order[i]._backward()


def topological_order(root):
    order, done = [], set()
    stack = [(root, iter(root.children))]
    done.add(id(root))
    while stack:
        node, children = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            order.append(node)
        elif id(child) not in done:
            done.add(id(child))
            stack.append((child, iter(child.children)))
    return order


def neuron_with_values(w, b, x, y):
    w, b = Value(w), Value(b)
    z = w * x + b
    a = 0.5 + 0.5 * (z / 2).tanh()
    L = (a - y) ** 2
    L.backward()
    return L.data, w.grad, b.grad
