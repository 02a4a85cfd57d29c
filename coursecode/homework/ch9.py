"""Chapter 9 (implicit bias): self-checking exercises.

* ``ch9-min-norm``: the norm of the minimum-norm solution of one linear equation in
  three unknowns (numeric);
* ``ch9-wilson-error``: the test error of a classifier that scores every point
  positive, when 45 % of the test points are negative (numeric);
* ``ch9-implicit-bias``: what "implicit bias" means (multiple choice);
* ``ch9-row-space``: which optimizer keeps its iterates in the row space of X
  (multiple choice);
* ``ch9-min-norm-solver``: write a function returning the minimum-norm
  interpolant, checked against ``np.linalg.pinv(X) @ y``.

Every expected value is computed (with numpy or coursecode), never typed in.
"""
from __future__ import annotations

import math

import numpy as np

from .. import exercises as cx
from ..learning import error_rate

MIN_NORM_ROW = (1.0, 2.0, 2.0)     # ch9-min-norm: the equation w1 + 2 w2 + 2 w3 = 6
MIN_NORM_RHS = 6.0
NEGATIVE_FRACTION = 0.45           # ch9-wilson-error


def min_norm_solution(X, y):
    """The minimum-norm solution of X w = y (X of full row rank): X^+ y."""
    return np.linalg.pinv(np.atleast_2d(np.asarray(X, dtype=float))) @ np.atleast_1d(np.asarray(y, dtype=float))


# -- numbers ------------------------------------------------------------------------------

def _min_norm_exercise():
    a = np.array(MIN_NORM_ROW)
    b = MIN_NORM_RHS
    w = min_norm_solution(a, b)
    answer = float(np.linalg.norm(w))
    eq = " + ".join(f"{c:g}·w{i + 1}" if c != 1 else f"w{i + 1}" for i, c in enumerate(a))
    coordinate_norms = sorted({abs(b / c) for c in a})            # put everything on one coordinate
    norm_a = float(np.linalg.norm(a))
    hints = [(answer**2, f"{answer**2:g} is ‖w‖², the squared norm; take its square root."),
             (b / float(a @ a), f"{b / float(a @ a):g} is the multiplier t in w = t·a; the norm of w = t·a is "
                                f"|t|·‖a‖.")]
    for value in coordinate_norms:
        also = (f" ({value:g} is also ‖a‖, the norm of the coefficient vector.)"
                if math.isclose(value, norm_a) else "")
        hints.append((value, f"{value:g} is the norm of a solution with a single non-zero coordinate. It solves "
                             f"the equation, but spreading the weight along a = {tuple(a.tolist())} gives a "
                             f"shorter one.{also}"))
    if not any(math.isclose(v, norm_a) for v in coordinate_norms):
        hints.append((norm_a, f"{norm_a:g} is ‖a‖, the norm of the coefficient vector, not of the solution."))
    return cx.NumericExercise(
        "ch9-min-norm", "The shortest solution of one equation",
        f"Among all w in R³ with {eq} = {b:g}, what is the smallest possible Euclidean norm ‖w‖? "
        "(The minimum-norm solution is X⁺y; here X has a single row.)",
        answer=answer, rtol=1e-3, hints=hints,
        explanation=(f"The minimum-norm solution lies in the row space: w = t·a with a = {tuple(a.tolist())}. "
                     f"Then a·w = t‖a‖² = {b:g} gives t = {b:g}/{float(a @ a):g}, and ‖w‖ = |t|·‖a‖ = "
                     f"{b:g}/{float(np.linalg.norm(a)):g} = {answer:g}. Every other solution adds a vector "
                     "orthogonal to a, which only makes it longer."),
        too_high="That is the norm of a solution, but not of the shortest one: which solutions lie along a?",
        too_low=f"No solution is that short: a·w = {b:g} forces ‖w‖ ≥ {b:g}/‖a‖ (Cauchy–Schwarz).")


def _wilson_error_exercise():
    q = NEGATIVE_FRACTION
    # a test set with exactly that fraction of negatives, scored +1 everywhere
    y = np.where(np.arange(100) < round(100 * q), -1.0, 1.0)
    answer = float(error_rate(np.ones_like(y), y))

    def percent(x):
        if math.isclose(x, 100 * answer, rel_tol=1e-3):
            return f"{x:g} is the error in per cent; type it as a fraction, {answer:g}."
        return None

    return cx.NumericExercise(
        "ch9-wilson-error", "The error of a classifier that always says +1",
        f"In the construction of Wilson et al., AdaGrad, RMSProp and Adam end up scoring every new point "
        f"positive. Suppose a fraction {q:g} of the test points are negative. What is the test error (as a "
        "fraction between 0 and 1) of a classifier that predicts +1 for every point?",
        answer=answer, rtol=1e-3, atol=1e-9,
        hints=[(1 - answer, f"{1 - answer:g} is the fraction it gets right (its accuracy); the error counts "
                            "the points it gets wrong."),
               (0.5, "0.5 is the error of a coin flip. This classifier is wrong exactly on the negative points."),
               (0.0, "0 would mean every prediction is right; but every negative point is predicted +1."),
               percent],
        explanation=(f"It is wrong exactly on the negative points, so its error is their fraction, {answer:g}. "
                     "In the paper's construction the fraction of negatives is 1 − p, which is close to 1/2 when "
                     "p is close to 1/2; gradient descent on the same data makes no test errors."),
        too_high="It is right on every positive point.",
        too_low="It is wrong on every negative point.")


# -- multiple choice ------------------------------------------------------------------------

def _implicit_bias_exercise():
    return cx.ChoiceExercise(
        "ch9-implicit-bias", "What is implicit bias?",
        "A model has more parameters than training points, so many parameter vectors reach zero training "
        "loss. What does the phrase \"the implicit bias of an optimizer\" refer to?",
        [("A penalty such as λ‖w‖² that the optimizer adds to the loss to prefer small weights.", False,
          "That is explicit regularization (weight decay, L2): a term you write into the objective. Implicit "
          "bias appears with no such term: the loss is the same for every optimizer."),
         ("The optimizer's preference, through its update rule, its starting point and its hyperparameters, "
          "for one of the many minimizers of the same training loss.", True,
          "Right: all the candidates fit the training data equally well, and the algorithm itself decides which "
          "one it ends at. From w = 0, gradient descent on least squares ends at the minimum-norm solution X⁺y; "
          "Adam and AdaGrad end elsewhere."),
         ("A systematic error in the optimizer's gradient estimates, like the bias of Adam's moments at the "
          "first steps.", False,
          "Adam's moment estimates are biased towards 0 at first, and the bias correction removes that; this "
          "is a different use of the word \"bias\"."),
         ("The tendency of an optimizer to reach a lower training loss than others.", False,
          "In the over-parameterized setting all the solutions in question have the same (zero) training loss; "
          "implicit bias is about which of them is found, and it shows in the test error, not the training "
          "loss.")])


def _row_space_exercise():
    return cx.ChoiceExercise(
        "ch9-row-space", "Which iterates stay in the row space?",
        "On over-parameterized least squares, f(w) = ‖Xw − y‖²/(2n), each optimizer starts at w = 0 and uses "
        "full-batch gradients. For which one is every iterate guaranteed to be a linear combination of the rows "
        "of X, whatever the data?",
        [("Adam", False,
          "Adam's first step is −γ·sign(g₁) in every coordinate; a vector of signs is in general not a "
          "combination of the rows of X."),
         ("AdaGrad", False,
          "AdaGrad divides each coordinate of the gradient by its own √s; rescaling coordinates unevenly takes "
          "the step out of the row space."),
         ("Gradient descent with momentum (heavy ball or EMA form)", True,
          "Right: every gradient Xᵀ(Xw − y)/n is a combination of the rows of X, and momentum only adds up "
          "gradients with scalar weights, so the velocity and the iterates stay in the row space. If it "
          "converges to an interpolant, that interpolant is X⁺y."),
         ("RMSProp", False,
          "RMSProp, like AdaGrad and Adam, scales each coordinate by its own factor 1/(√s + ε); that breaks "
          "the row-space property.")])


# -- write a function ------------------------------------------------------------------------

def _cases():
    rng = np.random.default_rng(9)
    X1 = rng.normal(size=(3, 7))
    X2 = rng.normal(size=(5, 12))
    return [
        (np.array([list(MIN_NORM_ROW)]), np.array([MIN_NORM_RHS])),
        (np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]]), np.array([2.0, 2.0])),
        (X1, rng.normal(size=3)),
        (X2, rng.normal(size=5)),
    ]


def _min_norm_solver_exercise():
    return cx.UpdateExercise(
        "ch9-min-norm-solver", "Compute the minimum-norm interpolant",
        "Write min_norm(X, y) that returns the solution of X w = y with the smallest Euclidean norm, for X of "
        "shape (n, d) with n < d and full row rank, and y of shape (n,). Return a new array of shape (d,).",
        signature="min_norm(X, y)", cases=_cases(), reference=min_norm_solution, outputs=["w"],
        diagnoses=[(lambda X, y: X.T @ y,
                    "You returned Xᵀy: it is in the row space, but it does not solve Xw = y. Solve for the "
                    "coefficients first: w = Xᵀα with (XXᵀ)α = y."),
                   (lambda X, y: X.T @ y / np.sum(X * X),
                    "You scaled Xᵀy by one number. That solves Xw = y only in special cases; use the "
                    "n × n system (XXᵀ)α = y."),
                   (lambda X, y: np.linalg.solve(X @ X.T, y),
                    "You returned α = (XXᵀ)⁻¹y, which has n entries; the solution is w = Xᵀα."),
                   (lambda X, y: -(np.linalg.pinv(X) @ y),
                    "Your result has the wrong sign: check that X @ w equals y.")],
        explanation="X⁺y = Xᵀ(XXᵀ)⁻¹y: np.linalg.pinv(X) @ y, np.linalg.lstsq(X, y)[0] and gradient descent "
                    "from w = 0 all give it.")


def exercises():
    """The chapter's self-checking exercises, in the order the chapter uses them."""
    return [_implicit_bias_exercise(), _min_norm_exercise(), _row_space_exercise(), _min_norm_solver_exercise(),
            _wilson_error_exercise()]
