"""The loop that runs an optimizer on a problem and records what happened."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from . import _checks


@dataclass
class Trajectory:
    """What a run recorded.

    Attributes
    ----------
    thetas : array (n + 1, ..., d)
        theta_0 .. theta_n; rows after a run's divergence are NaN.
    losses : array (n + 1, ...) or None
        f(theta_k) for a problem (for an online problem f_k(x_k), k = 1..n, shape (n, ...)).
    grads : array (n, ..., d) or None
        The gradient used at each step.
    states : NamedTuple of arrays (n, ...) or None
        The optimizer state after each step (``record_state=True``).
    diverged_at : int array of the batch shape
        The step at which each run diverged, -1 for runs that did not.
    reasons : list of str
        Why each diverged run diverged, earliest first.
    """

    thetas: np.ndarray
    losses: Optional[np.ndarray]
    grads: Optional[np.ndarray]
    states: Any
    diverged_at: np.ndarray
    reasons: list
    problem: Any = None

    @property
    def steps(self):
        """How many steps were taken (fewer than asked when every run diverged)."""
        return self.thetas.shape[0] - 1

    @property
    def final(self):
        return self.thetas[-1]

    @property
    def diverged(self):
        """True when any run of the batch diverged."""
        return bool(np.any(self.diverged_at >= 0))

    @property
    def message(self):
        """One sentence on how the run ended, fit to show a reader."""
        n_bad = int(np.sum(self.diverged_at >= 0))
        if n_bad == 0:
            return f"ran {self.steps} steps; no divergence"
        if self.diverged_at.ndim == 0:
            return f"diverged at step {int(self.diverged_at)}: {self.reasons[0]}"
        first = int(self.diverged_at[self.diverged_at >= 0].min())
        return (f"{n_bad} of {self.diverged_at.size} runs diverged "
                f"(the first at step {first}: {self.reasons[0]})")

    def regret(self):
        """R_t for t = 1..n, for online problems."""
        if not getattr(self.problem, "online", False):
            raise ValueError("regret is defined for online problems (see coursecode.online)")
        return self.problem.regret(self.thetas[:-1])


def run(opt, problem, theta0, steps, record_state=False, record_grads=True, max_abs=1e6):
    """Run ``opt`` for ``steps`` steps from ``theta0`` and return a :class:`Trajectory`.

    Parameters
    ----------
    opt : an optimizer from :mod:`coursecode.optimizers`
    problem : a problem (with ``grad`` and ``value``), an online problem (whose
        ``grad(x, t)`` depends on the step; iterates are projected onto its domain),
        or a plain callable ``theta -> gradient``.
    theta0 : array (..., d)
        Leading axes are a batch of independent runs.
    steps : int
    record_state : bool
        Keep the optimizer state after every step (e.g. Adam's ``v`` for the
        per-coordinate step sizes).
    record_grads : bool
    max_abs : float
        A run whose parameters exceed this in absolute value, or turn NaN or
        infinite, has diverged: it is reported (``diverged_at``, ``message``) and
        frozen as NaN, never raised. The loop stops when every run has diverged.

    Examples
    --------
    >>> import coursecode as cc
    >>> traj = cc.run(cc.gd(lr=1.2), cc.bowl(), [1.0, 1.0], steps=100)
    >>> traj.message
    'diverged at step 42: |theta| exceeded 1e+06'
    """
    steps = _checks.integer("steps", steps)
    max_abs = float(_checks.nonnegative("max_abs", max_abs))
    theta = _checks.as_theta(theta0).copy()
    if theta.ndim == 0:
        raise ValueError("theta0 must be an array with at least one axis (the coordinates)")
    online = getattr(problem, "online", False)
    has_value = hasattr(problem, "value")
    if hasattr(problem, "grad"):
        grad = (lambda th, t: problem.grad(th, t)) if online else (lambda th, t: problem.grad(th))
    elif callable(problem):
        grad = lambda th, t: problem(th)  # noqa: E731
    else:
        raise ValueError("problem must have a grad method or be a callable theta -> gradient")

    batch = theta.shape[:-1]
    state = opt.init(theta)
    thetas, grads, states = [theta], [], []
    losses = [] if has_value else None
    if has_value and not online:
        losses.append(problem.value(theta))
    diverged_at = np.full(batch, -1)
    first_reason = {}
    with np.errstate(all="ignore"):  # a diverging run is data, not an error
        for k in range(1, steps + 1):
            g = grad(theta, k)
            if online:
                losses.append(problem.value(theta, k))
            theta, state = opt.step(theta, g, state)
            if online:
                theta = problem.project(theta)
            thetas.append(theta)  # the step that diverged is kept, to be drawn
            # NaN propagates through max, so one reduction per array finds NaN, inf and huge values
            size, g_size = np.abs(theta).max(axis=-1), np.abs(g).max(axis=-1)
            bad = ~(size <= max_abs) | ~np.isfinite(g_size)
            new = bad & (diverged_at < 0)
            if np.any(new):
                diverged_at = np.where(new, k, diverged_at)
                nonfinite = np.atleast_1d(~np.isfinite(size) | ~np.isfinite(g_size))
                for idx in zip(*np.nonzero(np.atleast_1d(new))):
                    first_reason[idx] = (k, "theta or the gradient became NaN or infinite"
                                         if nonfinite[idx] else f"|theta| exceeded {max_abs:.0e}")
            if np.any(bad):
                theta = np.where(bad[..., None], np.nan, theta)  # later rows of that run are NaN
            if record_grads:
                grads.append(g)
            if record_state:
                states.append(state)
            if has_value and not online:
                losses.append(problem.value(theta))
            if np.all(diverged_at >= 0):
                break
    return Trajectory(
        thetas=np.stack(thetas),
        losses=None if losses is None else np.stack(losses),
        grads=np.stack(grads) if record_grads and grads else None,
        states=_stack_states(states) if record_state and states else None,
        diverged_at=diverged_at,
        reasons=[first_reason[i][1] for i in sorted(first_reason, key=lambda i: (first_reason[i][0], i))],
        problem=problem,
    )


def _stack_states(states):
    """One array per state field over the steps; a plain tuple of states (``stacked``) field by field."""
    first = states[0]
    if not hasattr(first, "_fields") and isinstance(first, tuple):
        return tuple(_stack_states([s[k] for s in states]) for k in range(len(first)))
    return type(first)(*(np.stack([np.asarray(getattr(s, f)) for s in states]) for f in first._fields))
