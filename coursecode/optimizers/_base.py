"""What every optimizer shares: bound hyperparameters, ``init``/``step``, weight decay."""
from __future__ import annotations

import numpy as np

from .. import _checks
from ._tape import Tape, Untraceable

#: Elements per block when a large array is updated block by block (Optimizer._blocked):
#: 2^16 float64 = 512 KB per scratch buffer; the two or three buffers a step needs stay in the
#: L2/L3 caches while theta, g and the state stream through, and a step of 10^7 parameters
#: makes about 150 x 14 numpy calls (2^14 to 2^17 measured within 5% of each other). The
#: buffers are allocated once per step, so malloc's mmap threshold (128 KB) no longer matters:
#: when every block allocated its own temporaries, blocks of 2^14 and more made each one an
#: mmap and its pages page faults (60,000 per step instead of 2,000; 2.5x slower).
BLOCK = 1 << 16


class Optimizer:
    """An optimizer with its hyperparameters bound and validated.

    Subclasses set ``name``, ``State`` (a NamedTuple whose first field is ``t``),
    implement ``_init_fields(theta)`` and ``_update(theta, g, state, lr)`` and list
    their array hyperparameters in ``_arrays`` so that :meth:`init` can check that
    each broadcasts against theta.
    """

    name = "optimizer"
    State = None
    _arrays: tuple = ()

    def __init__(self, lr, weight_decay=0.0, decoupled=False):
        self.lr = _checks.learning_rate(lr)
        self.weight_decay = _checks.nonnegative("weight_decay", weight_decay)
        if not isinstance(decoupled, bool):
            raise ValueError(f"Invalid decoupled: {decoupled!r} (must be True or False)")
        self.decoupled = decoupled
        self._no_decay = bool(np.all(self.weight_decay == 0))

    # -- the public, pure interface ------------------------------------------------
    def init(self, theta):
        """The state before the first step (``t = 0``, moments at zero)."""
        theta = _checks.as_theta(theta)
        for name in ("lr", "weight_decay", *self._arrays):
            value = getattr(self, name)
            if not callable(value):
                _checks.broadcasts_to(name, value, theta.shape)
        return self.State(0, *self._init_fields(theta))

    def step(self, theta, g, state):
        """One update: returns ``(theta, state)``; never modifies its inputs."""
        theta, g = _checks.same_shape(theta, g)
        if not isinstance(state, self.State):
            raise ValueError(f"state must be the {self.State.__name__} made by this optimizer's init, "
                             f"got {type(state).__name__}")
        for field, value in zip(state._fields, state):
            if isinstance(value, np.ndarray) and value.shape != theta.shape:
                raise ValueError(f"state.{field} has shape {value.shape} but theta has shape {theta.shape}: "
                                 "make the state with init() on a theta of this shape")
        lr = self.lr_at(state.t + 1)
        if theta.size > BLOCK and self._blockable(lr):
            return self._blocked(theta, g, state, lr)
        theta, g = self._weight_decay(theta, g, lr)
        return self._update(theta, g, state, lr)

    def lr_at(self, t):
        """The learning rate used at step ``t`` (1-based); schedules are called and checked."""
        if not callable(self.lr):
            return self.lr
        try:
            value = self.lr(t)
            if type(value) is float and 0.0 <= value < np.inf:   # the common case, checked at a fraction of the cost
                return value
            return _checks.nonnegative("lr", value)
        except ValueError as exc:
            raise ValueError(f"the learning-rate schedule at step {t}: {exc}") from None

    @property
    def hyperparameters(self):
        """The bound hyperparameters as a dict (name -> value)."""
        return {k: v for k, v in vars(self).items() if not k.startswith("_") and k != "name"}

    def __repr__(self):
        args = ", ".join(f"{k}={_short(v)}" for k, v in self.hyperparameters.items())
        return f"{self.name}({args})"

    # -- large arrays, block by block ---------------------------------------------
    # A step written as the paper's lines makes one pass over memory per line (about 14
    # for Adam) and allocates a new array for each. On arrays much larger than the CPU's
    # cache that traffic, not arithmetic, sets the time. So a large array is updated a
    # block at a time, and the lines are not re-run on each block: `_update` runs once per
    # step on one-element stand-ins (`_tape.Traced`) that write every ufunc it applies on a
    # tape (`_tape.Tape`); the tape is then replayed block by block, each ufunc writing with
    # ``out=`` into a few scratch buffers that stay in the cache, or straight into the new
    # arrays when its result is one of them. The whole step reads theta, g and the state
    # once, writes the new ones once, and allocates nothing per block. Each element gets
    # the same ufuncs with the same scalars in the same order as in one piece, so the
    # result is the same bit for bit. An `_update` the tape cannot follow (a branch on
    # values, a reduction, a function that is not a ufunc) runs in one piece instead.
    elementwise = True            # False for an update that mixes elements (a matrix method)

    def _blockable(self, lr):
        scalars = ("weight_decay", *self._arrays)
        return self.elementwise and np.ndim(lr) == 0 and all(np.ndim(getattr(self, k)) == 0 for k in scalars)

    def _blocked(self, theta, g, state, lr):
        arrays = [i for i, v in enumerate(state) if isinstance(v, np.ndarray)]
        inputs = [theta.reshape(-1), g.reshape(-1), *(state[i].reshape(-1) for i in arrays)]
        tape = Tape(len(inputs))
        try:
            with np.errstate(all="ignore"):
                leaves = [tape.leaf(k, a) for k, a in enumerate(inputs)]
                block_state = list(state)
                for i, leaf in zip(arrays, leaves[2:]):
                    block_state[i] = leaf
                th, gg = self._weight_decay(leaves[0], leaves[1], lr)
                new_theta, new_state = self._update(th, gg, self.State(*block_state), lr)
            tape.outputs(new_theta, new_state, arrays)
        except Untraceable:
            theta, g = self._weight_decay(theta, g, lr)
            return self._update(theta, g, state, lr)
        news = tape.replay(inputs, BLOCK)
        merged = list(new_state)             # scalar fields (t, NAdam's mu product) as the traced step made them
        for i, new in zip(arrays, news[1:]):
            merged[i] = new.reshape(theta.shape)
        return news[0].reshape(theta.shape), self.State(*merged)

    # -- shared pieces -------------------------------------------------------------
    def _weight_decay(self, theta, g, lr):
        """L2 adds ``lambda theta`` to the gradient (coupled: it is preconditioned too);
        decoupled decay shrinks theta by ``1 - lr lambda`` before the step (Loshchilov & Hutter)."""
        if self._no_decay:
            return theta, g
        if self.decoupled:
            return theta * (1 - lr * self.weight_decay), g
        return theta, g + self.weight_decay * theta

    def _init_fields(self, theta):  # pragma: no cover - abstract
        raise NotImplementedError

    def _update(self, theta, g, state, lr):  # pragma: no cover - abstract
        raise NotImplementedError


def _short(v):
    if isinstance(v, np.ndarray):
        return f"array{v.shape}"
    if callable(v):
        return getattr(v, "__name__", "schedule")
    return repr(v)


def zeros(theta):
    return np.zeros_like(theta)


def denominator(second_moment, eps, eps_inside_sqrt):
    """sqrt(s) + eps (Kingma & Ba, PyTorch) or sqrt(s + eps) (the lecture's written form)."""
    if eps_inside_sqrt:
        return np.sqrt(second_moment + eps)
    return np.sqrt(second_moment) + eps
