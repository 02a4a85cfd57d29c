"""Chapter 13 (why Adam wins on language models): self-checking exercises.

* ``ch13-unigram-curvature``: how many times flatter the loss of the unigram model is in the
  direction of the rarest token than in that of the most frequent one, at its optimum,
  for Zipf frequencies over 128 tokens (numeric);
* ``ch13-which-explanation``: which explanation of Adam's lead a full-batch experiment can
  rule out as necessary (multiple choice);
* ``ch13-sign-step``: write one step of sign descent, checked against ``cc.lion`` with
  beta1 = beta2 = 0.

Every expected value is computed (with numpy or coursecode), never typed in.
"""
from __future__ import annotations

import numpy as np

from .. import exercises as cx
from ..learning.imbalance import zipf
from ..optimizers import lion

VOCAB = 128              # ch13-unigram-curvature: the vocabulary of the chapter's experiment


def curvature_ratio(vocab=VOCAB, exponent=1.0):
    """pi_1 (1 - pi_1) / (pi_V (1 - pi_V)): the diagonal of the unigram Hessian at its optimum,
    most frequent token over rarest."""
    pi = zipf(vocab, exponent)
    d = pi * (1 - pi)
    return float(d[0] / d[-1])


def sign_step(theta, g, lr):
    """One step of sign descent, theta - lr sign(g), as cc.lion(lr, beta1=0, beta2=0) takes it."""
    opt = lion(lr=lr, beta1=0.0, beta2=0.0)
    return opt.step(theta, g, opt.init(theta))[0]


# -- numbers ------------------------------------------------------------------------------

def _curvature_exercise():
    pi = zipf(VOCAB, 1.0)
    answer = curvature_ratio()
    return cx.NumericExercise(
        "ch13-unigram-curvature", "How flat is the direction of a rare token?",
        f"The unigram model predicts the next token from nothing but a vector of logits b, one per token, "
        f"with loss f(b) = −Σ_k π_k log softmax(b)_k. Its Hessian is diag(p) − p pᵀ with p = softmax(b). "
        f"At the optimum p = π. Take Zipf frequencies π_k = k⁻¹ / Σ_i i⁻¹ over V = {VOCAB} tokens. By what "
        "factor is the Hessian's diagonal entry of the most frequent token larger than that of the rarest?",
        answer=answer, rtol=1e-2,
        hints=[(float(pi[0] / pi[-1]), f"That is π_1/π_V = {VOCAB}: the diagonal entry is π_k(1 − π_k), "
                                        "not π_k. The factor 1 − π_1 matters for the most frequent token."),
               (float(1 / answer), "You divided the other way round: the frequent token's entry is the larger one."),
               (float((1 - pi[0]) / (1 - pi[-1])), "Those are only the factors 1 − π_k; multiply by π_k as well.")],
        explanation=(f"The diagonal of diag(π) − π πᵀ is π_k(1 − π_k): {pi[0]:.4f} · {1 - pi[0]:.4f} for the most "
                     f"frequent token and {pi[-1]:.6f} · {1 - pi[-1]:.4f} for the rarest, a ratio of {answer:.1f}. "
                     "Gradient descent's learning rate must stay below about 2 over the largest curvature, so "
                     "near the optimum it moves the rarest token's logit about that many times more slowly."),
        too_high="Use π_k(1 − π_k) for both tokens, with π normalized to sum to 1.",
        too_low="Check that you put the most frequent token in the numerator.")


# -- multiple choice ------------------------------------------------------------------------

def _which_explanation_exercise():
    return cx.ChoiceExercise(
        "ch13-which-explanation", "What can a full-batch experiment rule out?",
        "In this chapter's experiment every step uses the exact gradient of the whole training loss, and "
        "Adam and sign descent still reach the floor of the loss far sooner than tuned gradient descent. "
        "Which explanation of Adam's lead does that show is not needed for a gap to appear?",
        [("Heavy-tailed class imbalance: rare tokens get small gradients and little curvature.", False,
          "That one the experiment supports rather than rules out: the gap grows with the imbalance and "
          "shrinks when the classes are balanced."),
         ("Heavy-tailed noise in the stochastic gradients, which Adam's normalization tames.", True,
          "Right: with the full gradient there is no noise at all, yet the gap is there. Noise may still add "
          "to it in minibatch training, but it is not required, as Kunstner et al. (2023) found on "
          "transformers trained with full batches."),
         ("Sign-like, coordinate-wise normalized updates help on this loss.", False,
          "The experiment supports that too: sign descent, without momentum or second moments, also "
          "avoids the stall on rare tokens."),
         ("None: a full-batch experiment says nothing about any explanation.", False,
          "It removes the gradient noise entirely, so it does say something: whatever causes the gap here "
          "cannot be noise.")])


# -- write a function ------------------------------------------------------------------------

def _cases():
    rng = np.random.default_rng(13)
    return [
        (np.array([0.0, 1.0, -2.0]), np.array([3.0, -1e-6, 0.0]), 0.1),
        (rng.normal(size=(2, 4)), rng.normal(size=(2, 4)) * 10.0 ** rng.integers(-8, 4, size=(2, 4)), 0.03),
        (np.zeros(3), np.array([1e-12, -5e5, 2.0]), 1.0),
    ]


def _sign_step_exercise():
    return cx.UpdateExercise(
        "ch13-sign-step", "One step of sign descent",
        "Write sign_step(theta, g, lr) that returns the parameters after one step of sign descent: every "
        "coordinate moves by lr against the sign of its gradient, and a coordinate whose gradient is exactly 0 "
        "does not move. Return a new array; do not change theta in place.",
        signature="sign_step(theta, g, lr)", cases=_cases(), reference=sign_step, outputs=["theta"],
        diagnoses=[(lambda theta, g, lr: theta + lr * np.sign(g),
                    "You moved along the sign of the gradient: descent moves against it, theta − lr sign(g)."),
                   (lambda theta, g, lr: theta - lr * g,
                    "That is a gradient-descent step: sign descent uses only the sign of each coordinate, "
                    "so the size of g does not matter."),
                   (lambda theta, g, lr: theta - lr * g / np.linalg.norm(g),
                    "That normalizes the whole gradient vector (normalized gradient descent); sign descent "
                    "normalizes each coordinate on its own.")],
        explanation="theta − lr sign(g): each coordinate moves by exactly lr whatever the size of its gradient, "
                    "so a rare token's small gradient moves its weight as far as a frequent token's large one.")


def exercises():
    """The chapter's self-checking exercises, in the order the chapter uses them."""
    return [_curvature_exercise(), _which_explanation_exercise(), _sign_step_exercise()]
