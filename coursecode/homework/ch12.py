"""Chapter 12 (beyond the diagonal): self-checking exercises.

* ``ch12-newton-schulz``: write Muon's quintic Newton-Schulz orthogonalization, checked against
  ``coursecode.optimizers.matrix.newton_schulz``;
* ``ch12-state-ratio``: how much more state Adam keeps than Adafactor for one weight matrix (numeric);
* ``ch12-equivariance``: which optimizer follows a rotation of a weight matrix (multiple choice).

Every expected value is computed (with numpy or coursecode), never typed in.
"""
from __future__ import annotations

import numpy as np

from .. import exercises as cx
from ..optimizers.matrix import NS_COEFFICIENTS, newton_schulz

ROWS, COLS = 4096, 11008          # ch12-state-ratio: a feed-forward weight matrix of a 7B-parameter model


# -- write a function ------------------------------------------------------------------------

def _cases():
    rng = np.random.default_rng(12)
    wide = rng.normal(size=(3, 5)) * np.array([1.0, 0.5, 0.1, 0.05, 0.01])
    tall = rng.normal(size=(6, 2)) * 100.0
    square = np.diag([10.0, 1.0, 0.1]) + 0.01 * rng.normal(size=(3, 3))
    return [(wide, 5), (tall, 5), (square, 5), (wide, 1), (tall, 0)]


def _svd_polar(G, steps):
    U, _, Vt = np.linalg.svd(np.asarray(G, dtype=float), full_matrices=False)
    return U @ Vt


def _iterate(X, steps):
    """The quintic iteration on X as given: no normalization, no transpose (typical mistakes)."""
    a, b, c = NS_COEFFICIENTS
    with np.errstate(all="ignore"):
        for _ in range(steps):
            A = X @ X.T
            X = a * X + (b * A + c * A @ A) @ X
    return X


def _no_normalization(G, steps):
    return _iterate(np.asarray(G, dtype=float), steps)


def _spectral_normalization(G, steps):
    G = np.asarray(G, dtype=float)
    return _iterate(G / np.linalg.norm(G, 2), steps)


def _cubic(G, steps):
    return newton_schulz(G, steps, coefficients=(1.5, -0.5, 0.0))


def _newton_schulz_reference(G, steps):
    """coursecode's orthogonalization with Muon's defaults (what the student writes)."""
    return newton_schulz(G, steps)


def _newton_schulz_exercise():
    return cx.UpdateExercise(
        "ch12-newton-schulz", "Muon's Newton-Schulz iteration",
        "Write newton_schulz(G, steps) that returns Muon's orthogonalization of the matrix G: divide G by its "
        "Frobenius norm (or by 1e-7 if that is smaller), then apply steps iterations of "
        "X <- a X + (b A + c A A) X with A = X Xᵀ and (a, b, c) = (3.4445, −4.7750, 2.0315). Return a new "
        "array of G's shape. (Transposing a tall G first makes A smaller; it does not change the result.)",
        signature="newton_schulz(G, steps)", cases=_cases(), reference=_newton_schulz_reference, outputs=["X"],
        diagnoses=[(_svd_polar, "You returned the exact U Vᵀ of the SVD. Muon's few quintic steps only push the "
                                "singular values into a band around 1; write the iteration itself."),
                   (_no_normalization, "Divide G by its Frobenius norm before iterating: the iteration only "
                                       "maps singular values in [0, 1] towards 1, larger ones blow up."),
                   (_spectral_normalization, "You divided by the largest singular value. Muon divides by the "
                                             "Frobenius norm, which is cheaper and also at least as large."),
                   (_cubic, "Those are the cubic coefficients (1.5, −0.5, 0) of the classic Newton-Schulz "
                            "iteration; Muon uses the quintic (3.4445, −4.7750, 2.0315).")],
        explanation="The Frobenius norm bounds the spectral norm, so after the division every singular value "
                    "lies in [0, 1]; each iteration applies p(s) = a s + b s³ + c s⁵ to every singular value "
                    "and leaves the singular vectors alone, so five of them give about U Vᵀ.")


# -- numbers ------------------------------------------------------------------------------------

def _state_ratio_exercise():
    m, n = ROWS, COLS
    answer = 2 * m * n / (m + n)
    return cx.NumericExercise(
        "ch12-state-ratio", "Adam's state against Adafactor's",
        f"A weight matrix has {m} rows and {n} columns. Adam keeps m and v, one number each per weight; "
        "Adafactor (with no first moment) keeps one number per row and one per column. How many times more "
        "numbers does Adam's state hold?",
        answer=answer, rtol=1e-2,
        hints=[(m * n / (m + n), "That is v alone against Adafactor's factors: Adam keeps m as well."),
               ((m + n) / (2 * m * n), "Upside down: the question asks how many times more Adam keeps."),
               (2 * m * n / (m * n), "Adafactor does not keep a number per weight: only m + n numbers in all."),
               (m * n, "That counts Adam's v for the matrix; divide Adam's 2mn numbers by Adafactor's m + n.")],
        explanation=f"Adam: 2mn = {2 * m * n:,} numbers; Adafactor: m + n = {m + n:,}. The ratio "
                    f"2mn/(m + n) = {answer:,.0f}: it grows like the smaller side of the matrix.",
        too_high="Count Adafactor's numbers again: one per row plus one per column.",
        too_low="Count Adam's numbers again: two per weight.")


# -- multiple choice -----------------------------------------------------------------------------

def _equivariance_exercise():
    return cx.ChoiceExercise(
        "ch12-equivariance", "Which optimizer follows a rotation?",
        "Take a loss f(W) of a weight matrix W and an orthogonal matrix Q that mixes its rows. Run an optimizer "
        "on f from W₀ and, separately, on g(W) = f(QᵀW) from QW₀. For which optimizer is every iterate of the "
        "second run Q times the iterate of the first, for every Q?",
        [("Adam", False,
          "Adam divides each entry by its own √v̂. The entries of Q G are mixtures of the entries of G, so the "
          "divisors change and the step is not Q times the old one (chapter 3's rotated ravine)."),
         ("Adafactor", False,
          "Its row and column statistics are sums over entries of G²: a rotation mixes rows, and the factored "
          "second moment of Q G is not Q applied to anything. It is diagonal in disguise."),
         ("Muon", True,
          "Right: the gradient of g at QW is Q G, its momentum is Q B, and orthogonalization commutes with Q: if "
          "B = U Σ Vᵀ then Q B = (QU) Σ Vᵀ, so NS(Q B) = Q NS(B). The Newton-Schulz polynomial only uses "
          "products X Xᵀ X, which Q passes through."),
         ("Sign descent (Lion, signSGD)", False,
          "The sign is taken entry by entry: sign(Q G) ≠ Q sign(G), so a rotation changes the step.")])


def exercises():
    """The chapter's self-checking exercises, in the order the chapter uses them."""
    return [_equivariance_exercise(), _newton_schulz_exercise(), _state_ratio_exercise()]
