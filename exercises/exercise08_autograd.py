"""Exercise 08: an autograd engine.

PyTorch's `loss.backward()` fills in the gradient of every number a loss was computed from.
Here you build that machinery for scalars, in about a hundred lines, as micrograd does: a
`Value` holds a number and remembers how it was computed; `backward()` applies the chain rule
from the loss back to every Value it depends on.

The graph
---------
Every operation makes a new Value whose `.children` are its inputs and whose `.op` says what
it was:

    a = Value(2.0)
    b = Value(-3.0)
    c = a * b + a          # c.data = -4.0; c was made by "+", from (a * b) and a

A Value made directly is a leaf: no children, op "". A Python number on either side of an
operator is wrapped in a Value first, so `2 * a`, `a + 1` and `2 - a` all work.

The chain rule, one operation at a time
---------------------------------------
If out = f(x), every x that out was made from gets out's gradient times the local
derivative d(out)/dx:

    x.grad += local * out.grad

That is one operation's backward rule, and each operation stores its own as a small function
`out._backward` (a closure, made right beside the output, which remembers x and out). For
example, an operation sin (not part of the exercise) would read:

    def sin(self):
        out = Value(math.sin(self.data), (self,), "sin")

        def _backward():
            self.grad += math.cos(self.data) * out.grad   # local slope cos(x), times upstream

        out._backward = _backward
        return out

The local derivatives you need:

    out = x + y      d/dx = 1,                  d/dy = 1
    out = x * y      d/dx = y,                  d/dy = x
    out = x ** k     d/dx = k * x**(k - 1)      (k a constant number)
    out = exp(x)     d/dx = exp(x) = out        (write it with the output)
    out = log(x)     d/dx = 1 / x
    out = tanh(x)    d/dx = 1 - tanh(x)**2 = 1 - out**2
    out = relu(x)    d/dx = 1 if x > 0 else 0   (0 at exactly 0)

-a, a - b and a / b need no rules of their own: -a is a * -1, a - b is a + (-b), and a / b
is a * b**-1. For `2 - a` Python calls `a.__rsub__(2)`, with the number as `other`: the
result is other - self, not self - other.

Why += and never =
------------------
A Value used twice gets a gradient from each use, and the chain rule adds them. In c = a * a
the rule of * runs once but gives to a twice (once as self, once as other): a.grad must end as
2a, not a. In c = a * b + a, a receives b from the * and 1 from the +. Assigning instead of
adding keeps only the last contribution.

The order: children before parents
----------------------------------
A node may pass its gradient on only once every node that uses it has given to it. A
topological order lists every node after all of its children (leaves first, the root last);
walked in reverse, from the root, each node's grad is complete when its rule runs. So
`backward()` does three things:

    1. order = topological_order(root)
    2. root.grad = 1.0                    (dL/dL = 1: without it, everything stays 0)
    3. for each node in reversed(order): run its _backward

Sort without recursion: a recursive function stops after about 1000 nested calls, and the
grader builds chains thousands of nodes deep. Keep a list as a stack of nodes still to do.

Gradients are never reset: calling backward() on two graphs that share a leaf adds both
gradients into it, as in micrograd and PyTorch.

Worked example
--------------
a = Value(2.0), b = Value(-3.0), d = a * b, c = d + a, then c.backward():

    c.data = 2 * -3 + 2 = -4.0
    c.grad = 1.0                        (the root)
    d.grad = 1.0 * c.grad = 1.0         (+ passes its grad on unchanged)
    a.grad = 1.0 * c.grad = 1.0         (from the +)
    a.grad += b.data * d.grad = 1 - 3   (from the *: a.grad = -2.0)
    b.grad = a.data * d.grad = 2.0

Check by hand: c = a*b + a, so dc/da = b + 1 = -2 and dc/db = a = 2.

Conventions
-----------
- `.data` and `.grad` are Python floats; `.grad` is 0.0 when a Value is made.
- `.children` is a tuple of Values (a * a has the same Value twice); `.op` is a string.
- `__init__` and `__repr__` are given to you; `_backward` starts as a function that does
  nothing (a leaf has no one to pass its gradient to).
- `neuron_with_values` redoes exercise 01's neuron with your Values: the same numbers.

Checking your work
------------------
    bpgrade check exercise08     # grade this file, check by check
    bpgrade hint exercise08      # reveal the next hint when you are stuck
"""

import math  # noqa: F401 (for math.exp, math.log and math.tanh)


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
        # TODO
        raise NotImplementedError(
            "Value.__add__: wrap a number, make the output, give it a _backward"
        )

    def __mul__(self, other):
        """self * other: the local derivatives are other and self."""
        # TODO
        raise NotImplementedError(
            "Value.__mul__: the local derivatives are the other factor's data"
        )

    def __pow__(self, k):
        """self ** k for a constant k (an int or a float): the local derivative is k * x**(k-1)."""
        # TODO
        raise NotImplementedError("Value.__pow__: the power rule, for a constant k")

    def exp(self):
        """exp(self): its slope is exp(x) itself, the output."""
        # TODO
        raise NotImplementedError("Value.exp: the slope of exp is best written with the output")

    def log(self):
        """log(self), for self > 0: its slope is 1 / x."""
        # TODO
        raise NotImplementedError("Value.log: the slope of log(x) is 1 / x")

    def tanh(self):
        """tanh(self): its slope is 1 - tanh(x)**2, from the output."""
        # TODO
        raise NotImplementedError("Value.tanh: the slope of tanh is best written with the output")

    def relu(self):
        """max(0, self): its slope is 1 where x > 0, else 0 (0 at exactly 0)."""
        # TODO
        raise NotImplementedError("Value.relu: slope 1 where x > 0, else 0")

    def __neg__(self):
        """-self, as self * -1."""
        # TODO
        raise NotImplementedError("Value.__neg__: build it from an operation you already have")

    def __sub__(self, other):
        """self - other, as self + (-other)."""
        # TODO
        raise NotImplementedError("Value.__sub__: build it from + and unary minus")

    def __truediv__(self, other):
        """self / other, as self * other**-1."""
        # TODO
        raise NotImplementedError("Value.__truediv__: build it from * and ** -1")

    def __radd__(self, other):
        """other + self, for a number other."""
        # TODO
        raise NotImplementedError("Value.__radd__: other is a number, self a Value")

    def __rmul__(self, other):
        """other * self, for a number other."""
        # TODO
        raise NotImplementedError("Value.__rmul__: other is a number, self a Value")

    def __rsub__(self, other):
        """other - self, for a number other (2 - a): not self - other."""
        # TODO
        raise NotImplementedError(
            "Value.__rsub__: other is a number; mind the order of the subtraction"
        )

    def __rtruediv__(self, other):
        """other / self, for a number other (2 / a): not self / other."""
        # TODO
        raise NotImplementedError(
            "Value.__rtruediv__: other is a number; mind the order of the division"
        )

    def backward(self):
        """Fill in .grad of every Value this one depends on, with this one as the root L.

        Sets self.grad = 1.0 (dL/dL), then calls each node's local rule in reverse
        topological order (the root first), so that a node's grad is complete before it is
        passed on to its children.
        """
        # TODO
        raise NotImplementedError(
            "Value.backward: root grad, topological order, local rules in reverse"
        )

    def __repr__(self):
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g}, op={self.op!r})"


def topological_order(root):
    """Every Value reachable from root through .children, each once, children before parents.

    Inputs:
    - root: a Value

    Returns:
    - order: a list of Values, leaves first and root last
    """
    # TODO
    raise NotImplementedError("topological_order: children before parents, without recursion")


def neuron_with_values(w, b, x, y):
    """Exercise 01's neuron, z = w*x + b, a = sigmoid(z), L = (a - y)**2, with Values.

    Inputs:
    - w, b, x, y: floats, as in exercise 01

    Returns a tuple of:
    - L: the loss, a float
    - dL_dw: a float
    - dL_db: a float
    """
    # TODO
    raise NotImplementedError(
        "neuron_with_values: build the neuron from Values, then call backward()"
    )
