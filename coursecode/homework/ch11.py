"""Chapter 11 (schedules, warm-up, schedule-free training): self-checking exercises.

* ``ch11-first-step``: how much larger Adam's first step is than its steady steps on pure
  noise (numeric);
* ``ch11-anytime``: which schedule can decide the length of training late (multiple choice);
* ``ch11-sf-step``: write one step of schedule-free SGD (its three sequences), checked
  against a reference built from the same lines as ``cc.schedule_free_adamw``.

Every expected value is computed, never typed in.
"""
from __future__ import annotations

import math

import numpy as np

from .. import exercises as cx

BETA1 = 0.9              # ch11-first-step


def sf_sgd_step(y, z, x, g, t, lr, beta):
    """Schedule-free SGD with a constant learning rate: step t (1-based) from the gradient g at y.

    Returns the new (y, z, x): z takes the SGD step, x averages z_1 .. z_t uniformly
    (c_t = 1/t), y interpolates between them.
    """
    z = np.asarray(z, dtype=float) - lr * np.asarray(g, dtype=float)
    c = 1.0 / t
    x = (1 - c) * np.asarray(x, dtype=float) + c * z
    y = (1 - beta) * z + beta * x
    return y, z, x


# -- numbers ------------------------------------------------------------------------------

def _first_step_exercise():
    steady = math.sqrt((1 - BETA1) / (1 + BETA1))
    answer = 1 / steady
    return cx.NumericExercise(
        "ch11-first-step", "Adam's first step on pure noise",
        f"The gradients are pure noise, independent N(0, σ²) draws in every coordinate. Adam (β1 = {BETA1}, "
        "β2 = 0.999, ε = 0) takes a first step of size exactly lr in every coordinate. After many steps its "
        "v̂ has settled at σ², and m is an exponential average of the noise. How many times larger is the first "
        "step than the root mean square of a late step?",
        answer=answer, rtol=2e-2,
        hints=[(steady, "That is the size of a late step relative to lr; the question asks how many times "
                        "larger the first step is."),
               (1 / steady**2, "You compared variances: take the square root of the ratio."),
               (math.sqrt(1 / (1 - BETA1)), "Close: the variance of an exponential average of white noise is "
                                            "(1 − β1)²/(1 − β1²) σ² = (1 − β1)/(1 + β1) σ², not (1 − β1) σ²."),
               (1 / (1 - BETA1), "That is the averaging window 1/(1 − β1), not the size of the step.")],
        explanation=(f"m_t = (1 − β1) Σ_k β1^k g_(t−k) has variance (1 − β1)² σ² / (1 − β1²) = (1 − β1)/(1 + β1) σ², "
                     f"so a late step m̂/√v̂ has root mean square √((1 − β1)/(1 + β1)) = {steady:.3f}. The first "
                     f"step has m̂_1/√v̂_1 = g_1/|g_1| = ±1: {answer:.2f} times larger, at the moment when v̂ rests "
                     "on a single gradient. A warm-up keeps those early steps small."),
        too_high="Compare standard deviations (root mean squares), not variances.",
        too_low="The first step is the larger one: every coordinate moves by exactly lr.")


# -- multiple choice ------------------------------------------------------------------------

def _anytime_exercise():
    return cx.ChoiceExercise(
        "ch11-anytime", "Deciding late how long to train",
        "You start a long training run but do not know yet how many steps your budget will allow. You want "
        "to end with a decayed learning rate, and you do not want to restart from scratch when you find out. "
        "Which schedule lets you do that?",
        [("Cosine decay with the horizon set to your best guess.", False,
          "If the guess is too short the learning rate reaches its floor early and the rest of the budget is "
          "spent at a tiny step; if it is too long, stopping early leaves the learning rate high. Changing the "
          "horizon midway changes the whole curve: the run you have is not the run you would have wanted."),
         ("Warmup-stable-decay: hold the peak, and start the short decay once you know when to stop.", True,
          "Right: only the final decay depends on the horizon. The stable phase is the same for every "
          "horizon, so you can branch off a decay from any checkpoint of it, and even keep training the "
          "stable run for a longer budget."),
         ("A constant learning rate: it never needs a horizon.", False,
          "It needs no horizon, but it never decays: the loss stays at the noise floor of the peak learning "
          "rate, which is what the decay is there to remove."),
         ("Step decay by 0.1 at fixed fractions of the run.", False,
          "The fractions are fractions of the horizon: the milestones must be known before they are reached, "
          "just like cosine's horizon.")])


# -- write a function ------------------------------------------------------------------------

def _cases():
    rng = np.random.default_rng(11)
    z = rng.normal(size=3)
    x = rng.normal(size=3)
    return [
        (np.array([1.0, -2.0]), np.array([1.0, -2.0]), np.array([1.0, -2.0]), np.array([0.5, 1.0]), 1, 0.1, 0.9),
        ((1 - 0.9) * z + 0.9 * x, z, x, rng.normal(size=3), 5, 0.05, 0.9),
        ((1 - 0.5) * z + 0.5 * x, z, x, rng.normal(size=3), 40, 0.2, 0.5),
    ]


def _sf_step_exercise():
    def wrong_weight(y, z, x, g, t, lr, beta):
        return sf_sgd_step(y, z, x, g, t + 1, lr, beta)

    def old_x(y, z, x, g, t, lr, beta):
        z_new = np.asarray(z) - lr * np.asarray(g)
        x_new = (1 - 1 / t) * np.asarray(x) + z_new / t
        return (1 - beta) * z_new + beta * np.asarray(x), z_new, x_new

    def swapped(y, z, x, g, t, lr, beta):
        _, z_new, x_new = sf_sgd_step(y, z, x, g, t, lr, beta)
        return beta * z_new + (1 - beta) * x_new, z_new, x_new

    def step_from_y(y, z, x, g, t, lr, beta):
        z_new = np.asarray(y) - lr * np.asarray(g)
        x_new = (1 - 1 / t) * np.asarray(x) + z_new / t
        return (1 - beta) * z_new + beta * x_new, z_new, x_new

    return cx.UpdateExercise(
        "ch11-sf-step", "One step of schedule-free SGD",
        "Write sf_sgd_step(y, z, x, g, t, lr, beta) for schedule-free SGD with a constant learning rate. The "
        "gradient g was taken at y. Move z by an SGD step, update the average x with weight c_t = 1/t (so x_t "
        "is the plain average of z_1, ..., z_t), then interpolate y = (1 − β) z + β x with the new z and x. "
        "Return the tuple (y, z, x) of new arrays.",
        signature="sf_sgd_step(y, z, x, g, t, lr, beta)", cases=_cases(), reference=sf_sgd_step,
        outputs=["y", "z", "x"],
        diagnoses=[(wrong_weight, "Your average uses c = 1/(t + 1): at step t = 1 the average must be z_1 "
                                  "itself, so c_1 = 1 and c_t = 1/t."),
                   (old_x, "Your y uses the old x: update x first, then interpolate between the new z and the "
                           "new x."),
                   (swapped, "Your interpolation has β on the wrong sequence: y = (1 − β) z + β x, so β = 1 "
                             "takes the gradient at the average x."),
                   (step_from_y, "You stepped from y: the SGD step moves z, z_t = z_(t−1) − lr g_t, even though "
                                 "the gradient was taken at y.")],
        explanation="z_t = z_(t−1) − γ g_t; x_t = (1 − 1/t) x_(t−1) + z_t / t; y_t = (1 − β) z_t + β x_t. The "
                    "gradient is taken at y, the step goes to z, and x is the point to evaluate.")


def exercises():
    """The chapter's self-checking exercises, in the order the chapter uses them."""
    return [_first_step_exercise(), _anytime_exercise(), _sf_step_exercise()]
