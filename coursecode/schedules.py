"""Learning-rate schedules: small pure functions of the step ``t = 1, 2, ...``.

Each factory binds and checks its numbers and returns a schedule ``lr(t)``, a plain
function that any coursecode optimizer accepts as ``lr=`` (``Optimizer.lr_at`` calls it
at every step) and that :func:`coursecode.run` therefore drives like a constant.

Every number may be an array: a peak learning rate of shape ``(k, 1)``, or a horizon of
shape ``(k, 1)``, makes ``lr(t)`` an array of that shape, which broadcasts against a
batched theta of shape ``(k, d)``; one run then trains ``k`` schedules side by side.

Step ``t`` of a run uses ``lr(t)`` (the first step uses ``lr(1)``), so a schedule with
horizon ``T`` spends its last value on step ``T``. optax counts from 0: a coursecode
schedule ``lr(t)`` is optax's ``learning_rate(t - 1)``.

>>> import numpy as np
>>> from coursecode import schedules
>>> lr = schedules.cosine(1.0, horizon=4)
>>> [round(float(lr(t)), 4) for t in range(1, 6)]   # starts at the peak, ends near zero, stays there
[1.0, 0.8536, 0.5, 0.1464, 0.0]
>>> schedules.warmup(0.1, steps=2000)(1000)          # half-way through a linear warm-up
0.05
"""
from __future__ import annotations

import numpy as np

from . import _checks

__all__ = ["constant", "step", "cosine", "warmup", "wsd", "untuned_warmup_steps", "SCHEDULES"]


def _positive(name, value):
    """A number (or array) > 0: horizons and lengths of phases."""
    arr = _checks.nonnegative(name, value)
    if np.any(np.asarray(arr) <= 0):
        raise ValueError(f"Invalid {name}: {value!r} (must be > 0)")
    return arr


def _fraction(name, value):
    """A number (or array) in [0, 1]."""
    arr = _checks.nonnegative(name, value)
    if np.any(np.asarray(arr) > 1):
        raise ValueError(f"Invalid {name}: {value!r} (must be between 0 and 1)")
    return arr


def _named(fn, label):
    fn.__name__ = label
    fn.__qualname__ = label
    return fn


def _progress(t, start, length):
    """How far step t has come through a phase of ``length`` steps after step ``start``: 0 at its first step, <= 1."""
    return np.clip((t - 1 - start) / length, 0.0, 1.0)


def constant(lr):
    """The same learning rate at every step: ``lr(t) = lr``.

    >>> constant(0.01)(500)
    0.01
    """
    lr = _checks.nonnegative("lr", lr)
    return _named(lambda t: lr, f"constant({_checks_repr(lr)})")


def step(lr, every, factor=0.1):
    r"""Step decay: multiply by ``factor`` after every ``every`` steps, :math:`\gamma_t = \gamma\,
    \text{factor}^{\lfloor (t-1)/\text{every} \rfloor}`.

    >>> [step(1.0, every=2, factor=0.5)(t) for t in (1, 2, 3, 5)]
    [1.0, 1.0, 0.5, 0.25]
    """
    lr = _checks.nonnegative("lr", lr)
    every = _positive("every", every)
    factor = _fraction("factor", factor)
    return _named(lambda t: _out(lr * factor ** np.floor((t - 1) / every)), f"step(every={_checks_repr(every)})")


def cosine(lr, horizon, final=0.0, warmup=0):
    r"""Cosine decay from ``lr`` to ``final`` over ``horizon`` steps (Loshchilov & Hutter's SGDR without restarts).

    After an optional linear warm-up of ``warmup`` steps,

    .. math:: \gamma_t = \gamma_{\text{final}} + \tfrac12 (\gamma - \gamma_{\text{final}})
              \bigl(1 + \cos(\pi p_t)\bigr), \qquad p_t = \frac{t - 1 - W}{T - W} \in [0, 1],

    and :math:`\gamma_t = \gamma_{\text{final}}` for every step after the horizon :math:`T`.
    This is optax's ``cosine_decay_schedule(lr, T, alpha=final / lr)`` (or
    ``warmup_cosine_decay_schedule``) shifted to count from 1.

    >>> lr = cosine(1.0, horizon=np.array([[2.0], [4.0]]))   # two horizons in one schedule
    >>> lr(3).ravel().tolist()
    [0.0, 0.5]
    """
    lr = _checks.nonnegative("lr", lr)
    horizon = _positive("horizon", horizon)
    final = _checks.nonnegative("final", final)
    W = _checks.nonnegative("warmup", warmup)
    if np.any(np.asarray(W) >= horizon):
        raise ValueError(f"Invalid warmup: {warmup!r} (must be shorter than the horizon {horizon!r})")
    ramp = _warmup_factor(W)

    def schedule(t):
        p = _progress(t, W, horizon - W)
        return _out(ramp(t) * (final + 0.5 * (lr - final) * (1 + np.cos(np.pi * p))))

    return _named(schedule, f"cosine(horizon={_checks_repr(horizon)})")


def _warmup_factor(W):
    """min(1, t / W): 1/W at the first step, 1 from step W on (1 everywhere when W = 0)."""
    W = np.maximum(np.asarray(W, dtype=float), 1.0)
    return lambda t: np.minimum(1.0, t / W)


def _out(value):
    """Plain floats for scalar schedules (so they print as numbers), arrays for batched ones."""
    return float(value) if np.ndim(value) == 0 else value


def warmup(lr, steps):
    r"""Linear warm-up: :math:`\gamma_t = \min(1, t/W)\,\gamma_t^{\text{base}}`.

    ``lr`` is a number, an array or another schedule, which the warm-up multiplies;
    step 1 uses :math:`\gamma/W` and steps :math:`t \ge W` the base value. Ma & Yarats
    (2021) recommend :math:`W = 2/(1 - \beta_2)` for Adam (:func:`untuned_warmup_steps`).

    >>> lr = warmup(cosine(1.0, horizon=100), steps=10)
    >>> round(float(lr(1)), 4), round(float(lr(10)), 4)
    (0.1, 0.9801)
    """
    W = _positive("steps", steps)
    ramp = _warmup_factor(W)
    if callable(lr):
        base = lr
        _checks.learning_rate(base)
        label = getattr(base, "__name__", "schedule")
        return _named(lambda t: _out(ramp(t) * base(t)), f"warmup({label}, steps={_checks_repr(W)})")
    lr = _checks.nonnegative("lr", lr)
    return _named(lambda t: _out(ramp(t) * lr), f"warmup(steps={_checks_repr(W)})")


def wsd(lr, horizon, warmup=0, decay=0.2, final=0.0):
    r"""Warmup-stable-decay (Hu et al. 2024; Hägele et al. 2024): warm up, hold, then decay linearly.

    A linear warm-up over ``warmup`` steps, the constant ``lr`` until the last
    :math:`D = \lceil \text{decay}\cdot T \rceil` steps, then a straight line down to ``final``:

    .. math:: \gamma_t = \gamma + (\gamma_{\text{final}} - \gamma)\, p_t,
              \qquad p_t = \frac{t - 1 - (T - D)}{D} \in [0, 1].

    Only the decay needs the horizon: a run can be continued from the stable phase and
    cooled down whenever one wants a model.

    >>> lr = wsd(1.0, horizon=10, decay=0.2)
    >>> [round(float(lr(t)), 3) for t in (1, 8, 9, 10, 11)]
    [1.0, 1.0, 1.0, 0.5, 0.0]
    """
    lr = _checks.nonnegative("lr", lr)
    horizon = _positive("horizon", horizon)
    decay = _fraction("decay", decay)
    final = _checks.nonnegative("final", final)
    W = _checks.nonnegative("warmup", warmup)
    D = np.maximum(np.ceil(decay * horizon), 1.0)
    if np.any(np.asarray(W) > horizon - D):
        raise ValueError(f"Invalid warmup: {warmup!r} (the warm-up must end before the decay starts)")
    ramp = _warmup_factor(W)

    def schedule(t):
        return _out(ramp(t) * (lr + (final - lr) * _progress(t, horizon - D, D)))

    return _named(schedule, f"wsd(horizon={_checks_repr(horizon)})")


def untuned_warmup_steps(beta2):
    r"""Ma & Yarats's untuned linear warm-up length for Adam, :math:`2 / (1 - \beta_2)` steps (rounded).

    >>> untuned_warmup_steps(0.999)
    2000
    """
    beta2 = _checks.unit_interval("beta2", beta2)
    return int(np.round(2.0 / (1.0 - beta2)))


def _checks_repr(value):
    if np.ndim(value) == 0:
        return f"{float(value):g}"
    return f"array{np.shape(value)}"


#: The book's schedules by name (each a factory).
SCHEDULES = {"constant": constant, "step": step, "cosine": cosine, "warmup": warmup, "wsd": wsd}
