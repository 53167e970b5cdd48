"""Reference solution, exercise 08: an autograd engine (in the spirit of micrograd).

Every operation builds its output Value and, right beside it, a `_backward` closure: the chain
rule for that one operation, the local derivative times the upstream `out.grad`, added (`+=`)
into each child's grad, since a node used twice receives a contribution from each use.
`backward()` sets the root's grad to 1, sorts the graph (children before parents, without
recursion, so that graphs thousands of nodes deep sort too) and runs each node's `_backward`
from the root down.
Worked example: a = 2, b = -3, c = a * b + a gives c = -4; c.backward() gives
dc/da = b + 1 = -2 and dc/db = a = 2.
"""

import math


class Value:
    """A scalar that remembers how it was computed, so that gradients can flow back through it.

    Attributes:
    - data: the value, a float
    - grad: dL/d(this value), a float, 0.0 when made; backward() adds into it
    - children: the tuple of Values this one was computed from (empty for a leaf)
    - op: the operation that made it, a string ("+", "*", "exp", ...; "" for a leaf)
    """

    def __init__(self, data, children=(), op=""):
        self.data = float(data)
        self.grad = 0.0
        self.children = tuple(children)
        self.op = op
        self._backward = lambda: None  # a leaf passes nothing on

    def __add__(self, other):
        """self + other: the local derivatives are 1 and 1."""
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        """self * other: the local derivatives are other and self."""
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, k):
        """self ** k for a constant k (an int or a float): the local derivative is k * x**(k-1)."""
        out = Value(self.data**k, (self,), f"**{k}")

        def _backward():
            self.grad += k * self.data ** (k - 1) * out.grad

        out._backward = _backward
        return out

    def exp(self):
        """exp(self): its slope is exp(x) itself, the output."""
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward():
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    def log(self):
        """log(self), for self > 0: its slope is 1 / x."""
        out = Value(math.log(self.data), (self,), "log")

        def _backward():
            self.grad += out.grad / self.data

        out._backward = _backward
        return out

    def tanh(self):
        """tanh(self): its slope is 1 - tanh(x)**2, from the output."""
        out = Value(math.tanh(self.data), (self,), "tanh")

        def _backward():
            self.grad += (1.0 - out.data**2) * out.grad

        out._backward = _backward
        return out

    def relu(self):
        """max(0, self): its slope is 1 where x > 0, else 0 (0 at exactly 0)."""
        out = Value(max(0.0, self.data), (self,), "relu")

        def _backward():
            self.grad += (1.0 if self.data > 0 else 0.0) * out.grad

        out._backward = _backward
        return out

    def __neg__(self):
        """-self, as self * -1."""
        return self * -1

    def __sub__(self, other):
        """self - other, as self + (-other)."""
        return self + (-other)

    def __truediv__(self, other):
        """self / other, as self * other**-1."""
        return self * other**-1

    def __radd__(self, other):
        """other + self, for a number other."""
        return self + other

    def __rmul__(self, other):
        """other * self, for a number other."""
        return self * other

    def __rsub__(self, other):
        """other - self, for a number other (2 - a): not self - other."""
        return other + (-self)

    def __rtruediv__(self, other):
        """other / self, for a number other (2 / a): not self / other."""
        return other * self**-1

    def backward(self):
        """Fill in .grad of every Value this one depends on, with this one as the root L.

        Sets self.grad = 1.0 (dL/dL), then calls each node's local rule in reverse
        topological order (the root first), so that a node's grad is complete before it is
        passed on to its children.
        """
        order = topological_order(self)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()

    def __repr__(self):
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g}, op={self.op!r})"


def topological_order(root):
    """Every Value reachable from root through .children, each once, children before parents.

    Inputs:
    - root: a Value

    Returns:
    - order: a list of Values, leaves first and root last
    """
    order, visited = [], set()
    stack = [root]
    while stack:
        node = stack.pop()
        if node in visited:
            continue
        visited.add(node)
        order.append(node)
        for child in reversed(node.children):
            if child not in visited:
                stack.append(child)
    return order[::-1]


def neuron_with_values(w, b, x, y):
    """Exercise 01's neuron, z = w*x + b, a = sigmoid(z), L = (a - y)**2, with Values.

    Inputs:
    - w, b, x, y: floats, as in exercise 01

    Returns a tuple of:
    - L: the loss, a float
    - dL_dw: a float
    - dL_db: a float
    """
    w, b = Value(w), Value(b)
    z = w * x + b
    a = 0.5 * (1.0 + (0.5 * z).tanh())  # sigmoid(z), finite for any z
    L = (a - y) ** 2
    L.backward()
    return L.data, w.grad, b.grad
