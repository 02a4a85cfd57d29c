"""Several different optimizers in one batch, so one :func:`coursecode.run` compares them."""
from __future__ import annotations

import numpy as np

from .. import _checks


class Stacked:
    """Rows ``k*rows`` to ``(k+1)*rows - 1`` of theta's first axis belong to optimizer ``k``.

    It has the optimizers' interface (``init``, ``step``), so ``run`` drives it like
    any optimizer: every optimizer sees the same problem, the same number of steps
    and, for stochastic problems, gradients from one generator.
    """

    name = "stacked"

    def __init__(self, optimizers, rows=1):
        self.optimizers = list(optimizers)
        if not self.optimizers or not all(hasattr(o, "init") and hasattr(o, "step") for o in self.optimizers):
            raise ValueError("Invalid optimizers: a non-empty list of coursecode optimizers is needed")
        self.rows = _checks.integer("rows", rows, minimum=1)

    def _blocks(self, a, name):
        a = _checks.as_theta(a, name)
        n = len(self.optimizers) * self.rows
        if a.ndim == 0 or a.shape[0] != n:
            raise ValueError(f"{name} must have {n} rows on its first axis ({len(self.optimizers)} optimizers "
                             f"x {self.rows} rows), got shape {a.shape}")
        return [a[k * self.rows:(k + 1) * self.rows] for k in range(len(self.optimizers))]

    def init(self, theta):
        return tuple(opt.init(block) for opt, block in zip(self.optimizers, self._blocks(theta, "theta")))

    def step(self, theta, g, state):
        out = [opt.step(th, gk, s) for opt, th, gk, s in
               zip(self.optimizers, self._blocks(theta, "theta"), self._blocks(g, "gradient"), state)]
        return np.concatenate([th for th, _ in out]), tuple(s for _, s in out)

    def __repr__(self):
        return f"stacked({self.optimizers!r}, rows={self.rows})"


def stacked(optimizers, rows=1):
    """Run several optimizers side by side in one batch (rows of theta split into blocks, one per optimizer).

    Examples
    --------
    >>> import numpy as np, coursecode as cc
    >>> both = cc.stacked([cc.gd(lr=0.1), cc.adam(lr=0.1)])
    >>> traj = cc.run(both, cc.bowl(), np.ones((2, 2)), steps=1)
    >>> traj.thetas[1].round(3).tolist()      # row 0: gradient descent, row 1: Adam
    [[0.8, 0.8], [0.9, 0.9]]
    """
    return Stacked(optimizers, rows)
