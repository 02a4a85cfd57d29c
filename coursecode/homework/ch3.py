"""Chapter 3 (preconditioning): self-checking exercises.

* ``ch3-kappa``: the condition number of a diagonal Hessian (numeric);
* ``ch3-precond-gradient``: one component of the preconditioned gradient P^{-1} g with
  P = H, in the style of the lecture's worked example (numeric);
* ``ch3-diag-kappa``: the condition number left after diagonal scaling of a 2x2
  Hessian (numeric);
* ``ch3-rotation``: why a diagonal preconditioner cannot help on a ravine turned by
  45 degrees (multiple choice);
* ``ch3-diag-step``: write the diagonally preconditioned step (checked against
  :func:`coursecode.gd` with the per-coordinate learning rate ``lr / diag(H)``).

Every expected value is computed from the formulas or by coursecode, never typed in.
"""
from __future__ import annotations

import math

import numpy as np

from .. import exercises as cx
from ..optimizers import gd
from ..problems import quadratic
from ..theory import condition_number

KAPPA_EIGENVALUES = (4.0, 0.05, 1.0)         # ch3-kappa: a diagonal Hessian in three dimensions
PRECOND_CURVATURES = (20.0, 0.5)             # ch3-precond-gradient: f = 1/2 (20 x^2 + 0.5 y^2)
PRECOND_POINT = (0.5, 4.0)
SCALING_H = ((4.0, 1.0), (1.0, 1.0))         # ch3-diag-kappa


def diag_scaled(H):
    """D^{-1/2} H D^{-1/2} with D = diag(H)."""
    H = np.asarray(H, dtype=float)
    d = np.sqrt(np.diag(H))
    return H / np.outer(d, d)


# -- numbers ------------------------------------------------------------------------------

def _kappa_exercise():
    lam = np.array(KAPPA_EIGENVALUES)
    kappa = quadratic(lam).condition_number
    lo, hi = float(lam.min()), float(lam.max())
    eigen_text = ", ".join(f"{x:g}" for x in lam)
    return cx.NumericExercise(
        "ch3-kappa", "The condition number of a diagonal Hessian",
        f"A quadratic loss in three parameters has the diagonal Hessian H = diag({eigen_text}). "
        "What is its condition number κ(H)?",
        answer=kappa, rtol=1e-3,
        hints=[(lo / hi, f"{lo / hi:g} is λ_min/λ_max; the condition number is the other way round, "
                         "λ_max/λ_min ≥ 1."),
               (hi - lo, f"{hi - lo:g} is the difference λ_max − λ_min; κ is their ratio."),
               (hi, f"{hi:g} is λ_max alone: divide it by the smallest eigenvalue."),
               ((kappa - 1) / (kappa + 1), "That is (κ − 1)/(κ + 1), gradient descent's rate with its best "
                                           "learning rate; κ itself is the ratio of the eigenvalues."),
               (math.sqrt(kappa), "That is √κ, the quantity that sets momentum's rate; κ has no root."),
               (hi / float(np.median(lam)), "You divided by the middle eigenvalue; κ uses the smallest.")],
        explanation=f"The eigenvalues of a diagonal matrix are its diagonal entries, so κ = {hi:g}/{lo:g} = "
                    f"{kappa:g}. Gradient descent with its best learning rate would keep "
                    f"{(kappa - 1) / (kappa + 1):.3f} of the error per step.",
        too_high="Hint: κ = λ_max/λ_min, and the eigenvalues of a diagonal matrix are its diagonal entries.",
        too_low="Hint: κ = λ_max/λ_min, and the eigenvalues of a diagonal matrix are its diagonal entries.")


def _precond_gradient_exercise():
    problem = quadratic(PRECOND_CURVATURES)
    theta = np.array(PRECOND_POINT)
    g = problem.grad(theta)
    H = problem.hessian(theta)
    d = np.linalg.solve(H, g)
    a, b = PRECOND_CURVATURES
    x, y = PRECOND_POINT
    return cx.NumericExercise(
        "ch3-precond-gradient", "A preconditioned gradient",
        f"f(x, y) = ½({a:g}x² + {b:g}y²), at θ = ({x:g}, {y:g}). Take the Hessian as the preconditioner, "
        "P = H. What is the second (y) component of P⁻¹g?",
        answer=float(d[1]), rtol=1e-3,
        hints=[(g[1], f"{g[1]:g} is the y-component of the gradient g itself; divide it by the curvature "
                      f"P_yy = {b:g}."),
               (g[1] * b, f"{g[1] * b:g} is g_y multiplied by P_yy; P⁻¹ divides by the curvature."),
               (d[0], f"{d[0]:g} is the x-component of P⁻¹g; the question asks for y."),
               (g[0], f"{g[0]:g} is the x-component of the gradient.")],
        explanation=f"g = ({g[0]:g}, {g[1]:g}) and P = diag({a:g}, {b:g}), so P⁻¹g = ({d[0]:g}, {d[1]:g}): "
                    "exactly θ − θ*. With γ = 1 the preconditioned step lands on the minimizer, as in the "
                    "lecture's example.",
        too_high="Hint: the gradient is (ax, by); divide each component by its curvature.",
        too_low="Hint: the gradient is (ax, by); divide each component by its curvature.")


def _diag_kappa_exercise():
    H = np.array(SCALING_H)
    scaled = condition_number(diag_scaled(H))
    original = condition_number(H)
    (a, b), (_, c) = SCALING_H
    r = b / math.sqrt(a * c)
    return cx.NumericExercise(
        "ch3-diag-kappa", "What a diagonal preconditioner leaves",
        f"The Hessian H = [[{a:g}, {b:g}], [{b:g}, {c:g}]] is preconditioned with its diagonal, "
        "D = diag(H). What is the condition number of D^(−1/2) H D^(−1/2)?",
        answer=scaled, rtol=1e-3,
        hints=[(original, f"{original:.4g} is κ(H) before scaling; scale H by D^(−1/2) on both sides first."),
               (a / c, f"{a / c:g} is the ratio of the diagonal entries, which is κ of diag(H), not of the "
                       "scaled matrix."),
               (1.0, "κ = 1 would mean the diagonal scaling made the problem perfectly round; that happens "
                     "only when H is diagonal.")],
        explanation=f"D^(−1/2) H D^(−1/2) = [[1, r], [r, 1]] with r = b/√(ac) = {r:g}; its eigenvalues are "
                    f"1 ± r, so κ = (1 + r)/(1 − r) = {scaled:g}, down from κ(H) = {original:.4g}.",
        too_high="Hint: the scaled matrix has ones on the diagonal and r = b/√(ac) off it; its eigenvalues "
                 "are 1 ± r.",
        too_low="Hint: the scaled matrix has ones on the diagonal and r = b/√(ac) off it; its eigenvalues "
                "are 1 ± r.")


# -- multiple choice ------------------------------------------------------------------------

def _rotation_exercise():
    return cx.ChoiceExercise(
        "ch3-rotation", "Why the diagonal fails on a rotated ravine",
        "Preconditioning with P = diag(H) solves the ravine x² + 5y² in one step, but does nothing at all "
        "on the same ravine turned by 45 degrees. Why?",
        [("Turning the ravine increases its condition number, so there is more ill-conditioning to fix.",
          False,
          "A rotation does not change the eigenvalues of H, so κ(H) is the same for every angle. What "
          "changes is whether the hard directions line up with the coordinate axes."),
         ("The diagonal entries of the turned Hessian can be negative, so diag(H) cannot be inverted.",
          False,
          "The diagonal entries of a positive-definite H are curvatures along the axes, always positive; "
          "diag(H) can be inverted at every angle."),
         ("A diagonal P only rescales each coordinate axis. The turned ravine's steep and flat directions "
          "are mixtures of both axes, and at 45 degrees both diagonal entries of H are equal, so D is a "
          "multiple of the identity and the step is plain gradient descent.", True,
          "Right: D^(−1/2) H D^(−1/2) keeps the off-diagonal coupling of H. Undoing a rotation needs "
          "off-diagonal entries in P, as the full Hessian (Newton's method) has."),
         ("The learning rate γ = 1 is too large after the rotation; a smaller γ would restore the "
          "one-step convergence.", False,
          "With D a multiple of the identity, the iteration is gradient descent with learning rate "
          "γ/D_ii: a smaller γ only slows it further, and no single learning rate converges in one step "
          "when κ > 1.")])


# -- write the update -----------------------------------------------------------------------

def _reference(theta, g, H, lr):
    """coursecode's gradient descent with one learning rate per coordinate, lr / H_ii."""
    opt = gd(lr=lr / np.diagonal(H))
    new, _ = opt.step(theta, g, opt.init(theta))
    return new


def _cases():
    rng = np.random.default_rng(3)
    A = rng.normal(size=(3, 3))
    H3 = A @ A.T + 3 * np.eye(3)              # symmetric positive definite, with off-diagonal entries
    return [
        (np.array([1.0, 10.0]), np.array([10.0, 10.0]), np.diag([10.0, 1.0]), 1.0),   # the lecture's example
        (np.array([1.0, 10.0]), np.array([-3.5, 9.0]), np.array([[5.5, -4.5], [-4.5, 5.5]]), 1.0),
        (rng.normal(size=3), rng.normal(size=3), H3, 0.5),
        (np.array([0.2, -0.7]), np.array([2.0, -1.0]), np.array([[4.0, 1.0], [1.0, 0.25]]), 0.1),
    ]


def _diag_step_exercise():
    return cx.UpdateExercise(
        "ch3-diag-step", "Write the diagonally preconditioned step",
        "Write diag_precond_step(theta, g, H, lr) returning θ − γ diag(H)⁻¹ g: use only the diagonal of "
        "the Hessian H (a square array), dividing each gradient component by its own curvature H_ii. "
        "Return a new array.",
        signature="diag_precond_step(theta, g, H, lr)", cases=_cases(), reference=_reference,
        outputs=["theta"],
        diagnoses=[(lambda th, g, H, lr: th - lr * np.linalg.solve(H, g),
                    "Your step uses the whole Hessian, H⁻¹g: that is Newton's step. The diagonal "
                    "preconditioner keeps only H_ii."),
                   (lambda th, g, H, lr: th - lr * g * np.diagonal(H),
                    "You multiplied the gradient by the curvature; the preconditioner divides by it "
                    "(small steps where the curvature is large)."),
                   (lambda th, g, H, lr: th - g / np.diagonal(H),
                    "The learning rate γ is missing: the step is γ diag(H)⁻¹ g."),
                   (lambda th, g, H, lr: th - lr * g / np.sqrt(np.diagonal(H)),
                    "You divided by √H_ii; the diagonal preconditioner divides by H_ii itself. (Square roots "
                    "appear in AdaGrad, RMSProp and Adam, whose P_t is built from squared gradients.)"),
                   (lambda th, g, H, lr: th + lr * g / np.diagonal(H),
                    "Your step goes uphill: subtract the preconditioned gradient."),
                   (lambda th, g, H, lr: th - lr * g / np.sum(H, axis=1),
                    "You divided by the row sums of H; use the diagonal entries H_ii only.")],
        explanation="This is coursecode.gd(lr=lr / np.diag(H)).step: a diagonal preconditioner is a "
                    "per-coordinate learning rate.")


def exercises():
    """The chapter's self-checking exercises, in the order the chapter uses them."""
    return [_kappa_exercise(), _precond_gradient_exercise(), _diag_kappa_exercise(), _rotation_exercise(),
            _diag_step_exercise()]
