# A right answer in another style: no closures, one table of local derivatives by op, and
# Kahn's algorithm (count each node's parents, release a node once all of them are done).
import math
from collections import deque

# op -> the local derivative of the output with respect to each child, from (node, children)
LOCAL = {
    "+": lambda out, a, b: (1.0, 1.0),
    "*": lambda out, a, b: (b.data, a.data),
    "pow": lambda out, a, k: (k.data * a.data ** (k.data - 1), 0.0),
    "exp": lambda out, a: (out.data,),
    "log": lambda out, a: (1.0 / a.data,),
    "tanh": lambda out, a: (1.0 - out.data * out.data,),
    "relu": lambda out, a: (1.0 if a.data > 0 else 0.0,),
}


def as_value(x):
    return x if isinstance(x, Value) else Value(x)


class Value:
    def __init__(self, data, children=(), op=""):
        self.data = float(data)
        self.grad = 0.0
        self.children = tuple(children)
        self.op = op

    def __add__(self, other):
        other = as_value(other)
        return Value(self.data + other.data, (self, other), "+")

    __radd__ = __add__

    def __mul__(self, other):
        other = as_value(other)
        return Value(self.data * other.data, (self, other), "*")

    __rmul__ = __mul__

    def __pow__(self, k):
        # the exponent is a constant: kept as a child so the table can read it
        return Value(self.data**k, (self, Value(k)), "pow")

    def exp(self):
        return Value(math.exp(self.data), (self,), "exp")

    def log(self):
        return Value(math.log(self.data), (self,), "log")

    def tanh(self):
        return Value(math.tanh(self.data), (self,), "tanh")

    def relu(self):
        return Value(max(self.data, 0.0), (self,), "relu")

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-as_value(other))

    def __rsub__(self, other):
        return as_value(other) + (-self)

    def __truediv__(self, other):
        return self * as_value(other) ** -1

    def __rtruediv__(self, other):
        return as_value(other) * self**-1

    def backward(self):
        order = topological_order(self)
        self.grad = 1.0
        for node in reversed(order):
            if not node.children:
                continue
            slopes = LOCAL[node.op](node, *node.children)
            for child, slope in zip(node.children, slopes):
                child.grad += slope * node.grad

    def __repr__(self):
        return f"Value({self.data!r}, op={self.op!r})"


def topological_order(root):
    # every node reachable from root, and how many times each is used as a child
    uses = {id(root): 0}
    nodes = {id(root): root}
    todo = [root]
    while todo:
        node = todo.pop()
        for child in node.children:
            if id(child) not in nodes:
                nodes[id(child)] = child
                uses[id(child)] = 0
                todo.append(child)
            uses[id(child)] += 1
    # Kahn: the root first, a child once every use of it has been seen
    ready = deque([root])
    order = []
    while ready:
        node = ready.popleft()
        order.append(node)
        for child in node.children:
            uses[id(child)] -= 1
            if uses[id(child)] == 0:
                ready.append(child)
    return order[::-1]


def neuron_with_values(w, b, x, y):
    w, b = Value(w), Value(b)
    a = (1 + (-(w * x + b)).exp()) ** -1
    L = (a - y) * (a - y)
    L.backward()
    return float(L.data), float(w.grad), float(b.grad)
