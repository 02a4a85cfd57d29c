"""What every optimizer shares: bound hyperparameters, ``init``/``step``, weight decay."""
from __future__ import annotations

import numpy as np

from .. import _checks

#: Elements per block when a large array is updated block by block (Optimizer._blocked):
#: 2^13 float64 = 64 KB per array, so a step's arrays and its dozen temporaries fit a 1 MB L2 cache.
BLOCK = 1 << 13


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
        if theta.size >= 4 * BLOCK and self._blockable(lr):
            return self._blocked(theta, g, state, lr)
        theta, g = self._weight_decay(theta, g, lr)
        return self._update(theta, g, state, lr)

    def lr_at(self, t):
        """The learning rate used at step ``t`` (1-based); schedules are called and checked."""
        if not callable(self.lr):
            return self.lr
        try:
            return _checks.nonnegative("lr", self.lr(t))
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
    # for Adam). On arrays much larger than the CPU's cache that traffic, not arithmetic,
    # sets the time, so large arrays are updated a block at a time: each block's
    # temporaries stay in the cache and the whole step reads theta, g and the state once
    # and writes the new ones once. Every line is elementwise, so each element gets
    # exactly the same operations and the same result as in one piece.
    elementwise = True            # False for an update that mixes elements (a matrix method)

    def _blockable(self, lr):
        scalars = ("weight_decay", *self._arrays)
        return self.elementwise and np.ndim(lr) == 0 and all(np.ndim(getattr(self, k)) == 0 for k in scalars)

    def _blocked(self, theta, g, state, lr):
        flat = theta.reshape(-1), g.reshape(-1)
        arrays = [i for i, v in enumerate(state) if isinstance(v, np.ndarray)]
        fields = [state[i].reshape(-1) for i in arrays]
        new_theta, new_fields, last = np.empty_like(flat[0]), [np.empty_like(f) for f in fields], state
        for lo in range(0, flat[0].size, BLOCK):
            part = slice(lo, lo + BLOCK)
            block_state = list(state)
            for i, f in zip(arrays, fields):
                block_state[i] = f[part]
            th, gg = self._weight_decay(flat[0][part], flat[1][part], lr)
            new_theta[part], last = self._update(th, gg, self.State(*block_state), lr)
            for out, i in zip(new_fields, arrays):
                out[part] = last[i]
        merged = list(last)                  # scalar fields (t, NAdam's mu product) are the same in every block
        for out, i in zip(new_fields, arrays):
            merged[i] = out.reshape(theta.shape)
        return new_theta.reshape(theta.shape), self.State(*merged)

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
