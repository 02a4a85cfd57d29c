"""Replaying one optimizer step block by block: the machinery behind ``Optimizer._blocked``.

``_update`` runs once per step on one-element stand-ins (:class:`Traced`) that write every
ufunc it applies on a :class:`Tape`; the tape is then replayed block by block, each ufunc
writing with ``out=`` into a few scratch buffers that stay in the cache, or straight into
the new arrays. Each element gets the same ufuncs with the same scalars in the same order as
in one piece, so the result is the same bit for bit; an update the tape cannot follow raises
:class:`Untraceable` and runs in one piece instead.
"""
from __future__ import annotations

from operator import itemgetter

import numpy as np


class Untraceable(Exception):
    """The update did something a tape of elementwise ufuncs cannot replay."""


class Traced(np.ndarray):
    """A one-element stand-in for a block of an array: the ufuncs applied to it go on a tape.

    Only ufunc calls (operators, ``np.sqrt``, ``np.maximum``, ``np.clip``...), ``np.where``
    and ``.copy()`` are recorded; an array made any other way has no place on the tape
    (``node`` None) and using it, or asking for a value (``if x > 0``, ``float(x)``),
    raises Untraceable.
    """

    tape, node = None, None

    def __array_finalize__(self, obj):
        self.tape, self.node = None, None    # views and copies are not on the tape

    def __array_ufunc__(self, ufunc, method, *args, **kwargs):
        if method != "__call__" or kwargs or ufunc.nout != 1 or self.tape is None:
            raise Untraceable(f"{ufunc.__name__}.{method} {sorted(kwargs)}")
        return self.tape.record(ufunc, args)

    def __array_function__(self, func, types, args, kwargs):
        if func is np.where and len(args) == 3 and not kwargs and self.tape is not None:
            return self.tape.record(_where, args)
        return super().__array_function__(func, types, args, kwargs)

    def copy(self, order="K"):
        return self.tape.record(_copy, (self,))

    def _no_value(self, *args, **kwargs):
        raise Untraceable("the update reads a value of the array")

    __bool__ = __float__ = __int__ = __index__ = __complex__ = __len__ = __iter__ = _no_value
    item = tolist = _no_value


def _copy(x, out):
    np.copyto(out, x)
    return out


# Passing out by position saves a third of numpy's cost per call on a small block; maximum
# and minimum take it only by keyword (a third positional argument is deprecated for them).
_KEYWORD_OUT = {np.maximum: lambda x, y, out: np.maximum(x, y, out=out),
                np.minimum: lambda x, y, out: np.minimum(x, y, out=out)}


def _where(condition, x, y, out):
    """np.where into ``out`` (which may be the buffer of x or y)."""
    if np.ndim(condition) == 0:              # RAdam: one branch for the whole step
        np.copyto(out, x if condition else y)
    else:
        np.copyto(out, np.where(condition, x, y))
    return out


class Tape:
    """The ufuncs of one step in order, replayed block by block with ``out=``."""

    def __init__(self, n_inputs):
        self.n_inputs = n_inputs
        self.ops = []                        # (function, [("node", k) or ("const", value), ...])
        self.dtypes = []                     # of every node: the inputs, then one per op

    def leaf(self, k, array):
        self.dtypes.append(array.dtype)
        return self._traced(array[:1].copy(), k)

    def _traced(self, value, node):
        out = np.asarray(value).view(Traced)
        out.tape, out.node = self, node
        return out

    def record(self, func, args):
        spec, values = [], []
        for a in args:
            if isinstance(a, Traced):
                if a.tape is not self or a.node is None:
                    raise Untraceable("an array that is not a ufunc's result on the tape")
                spec.append(("node", a.node))
                values.append(a.view(np.ndarray))
            elif isinstance(a, np.ndarray) and a.ndim > 0:
                raise Untraceable("an array argument that is not a block")
            else:
                spec.append(("const", a))
                values.append(a)
        if isinstance(func, np.ufunc):
            value = func(*values)
        else:                                # _copy(x) or _where(condition, x, y)
            value = func(*values, out=np.empty(1, np.result_type(*values[-2:])))
        self.ops.append((func, spec))
        self.dtypes.append(np.asarray(value).dtype)
        return self._traced(value, len(self.dtypes) - 1)

    def outputs(self, new_theta, new_state, arrays):
        """The nodes of the new theta and of the state's array fields; the other fields hold no array."""
        out = [new_theta] + [new_state[i] for i in arrays]
        rest = [v for i, v in enumerate(new_state) if i not in arrays]
        if not all(isinstance(v, Traced) and v.tape is self and v.node is not None for v in out) \
                or any(isinstance(v, np.ndarray) for v in rest):
            raise Untraceable("the new theta or state is not made by ufuncs of the step")
        self.out_nodes = [v.node for v in out]
        return self.out_nodes

    def _program(self):
        """The ops as (function, getter of its arguments and output) on a block's slots.

        A block's slots are: the input blocks, the output blocks, the scratch buffers,
        the constants. A result that is a new array is written into its output block; any
        other result into a scratch buffer, reused once its value's last reader has run (an
        elementwise ufunc may write over its own input)."""
        n_in, n_out = self.n_inputs, len(self.out_nodes)
        out_slot = {}
        for j, node in enumerate(self.out_nodes):
            out_slot.setdefault(node, n_in + j)
        last_read = {a: k for k, (_, spec) in enumerate(self.ops) for kind, a in spec if kind == "node"}
        slot = {k: k for k in range(n_in)}
        buffers, free, steps, consts = [], {}, [], []
        for k, (func, spec) in enumerate(self.ops):
            node, dtype = n_in + k, self.dtypes[n_in + k]
            args = []
            f64 = dtype == np.float64 and all(self.dtypes[a] == np.float64 for kind, a in spec if kind == "node")
            for kind, a in spec:
                args.append(slot[a] if kind == "node" else ("const", len(consts)))
                if kind == "const":          # a float as a 0-d float64 array: the same value, a faster call
                    consts.append(np.asarray(a, np.float64) if f64 and type(a) in (float, np.float64) else a)
            for a in {a for kind, a in spec if kind == "node"}:
                if last_read[a] == k and a >= n_in and a not in out_slot:
                    free.setdefault(self.dtypes[a], []).append(slot[a])
            if node in out_slot:
                slot[node] = out_slot[node]
            elif free.get(dtype):
                slot[node] = free[dtype].pop()
            else:
                slot[node] = n_in + n_out + len(buffers)
                buffers.append(dtype)
            steps.append((func, args, slot[node]))
        for j, node in enumerate(self.out_nodes):   # an input or a repeated result returned as is
            if slot[node] != n_in + j:
                steps.append((_copy, [slot[node]], n_in + j))
        first_const = n_in + n_out + len(buffers)
        program = [(_KEYWORD_OUT.get(func, func),
                     itemgetter(*[a if isinstance(a, int) else first_const + a[1] for a in args], out))
                   for func, args, out in steps]
        return program, consts, buffers

    def replay(self, inputs, block):
        """The new arrays (theta, then the state's), computed block by block."""
        program, consts, buffers = self._program()
        n = inputs[0].size
        outputs = [np.empty(n, self.dtypes[node]) for node in self.out_nodes]
        scratch = [np.empty(min(block, n), dtype) for dtype in buffers]
        for lo in range(0, n, block):
            hi = lo + block
            if hi > n:                       # the last block is short
                scratch = [b[:n - lo] for b in scratch]
            slots = [a[lo:hi] for a in inputs] + [a[lo:hi] for a in outputs] + scratch + consts
            for func, get in program:
                func(*get(slots))            # func(arguments..., output): out given by position
        return outputs
