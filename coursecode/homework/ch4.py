"""Self-checking homework for chapter 4, AdaGrad and RMSProp.

``exercises()`` returns the chapter's exercises (ids ``"ch4-..."``), built with
:mod:`coursecode.exercises`. Every answer is computed with coursecode itself, so the
homework cannot drift away from the package it teaches.
"""
from __future__ import annotations

import numpy as np

from .. import optimizers
from ..exercises import ChoiceExercise, NumericExercise, UpdateExercise


def _rmsprop_first_step(lr, rho):
    """Size of RMSProp's first step (eps = 0) for any non-zero gradient."""
    opt = optimizers.rmsprop(lr=lr, rho=rho, eps=0.0)
    theta, _ = opt.step(np.zeros(1), np.array([3.7]), opt.init(np.zeros(1)))
    return float(abs(theta[0]))


def _adagrad_rate(lr, g, t):
    """AdaGrad's effective learning rate lr / sqrt(s_t) after t equal gradients g (eps = 0)."""
    opt = optimizers.adagrad(lr=lr, eps=0.0)
    theta, state = np.zeros(1), opt.init(np.zeros(1))
    for _ in range(t):
        theta, state = opt.step(theta, np.array([g]), state)
    return float(lr / np.sqrt(state.s[0]))


def _rmsprop_reference(theta, g, s, lr, rho, eps):
    opt = optimizers.rmsprop(lr=lr, rho=rho, eps=eps)
    theta, state = opt.step(theta, g, optimizers.RMSPropState(0, s))
    return theta, state.s


def _rmsprop_eps_inside(theta, g, s, lr, rho, eps):
    opt = optimizers.rmsprop(lr=lr, rho=rho, eps=eps, eps_inside_sqrt=True)
    theta, state = opt.step(theta, g, optimizers.RMSPropState(0, s))
    return theta, state.s


def _adagrad_sum(theta, g, s, lr, rho, eps):
    s = s + g**2
    return theta - lr * g / (np.sqrt(s) + eps), s


def _no_one_minus_rho(theta, g, s, lr, rho, eps):
    s = rho * s + g**2
    return theta - lr * g / (np.sqrt(s) + eps), s


def _old_s(theta, g, s, lr, rho, eps):
    s_new = rho * s + (1 - rho) * g**2
    return theta - lr * g / (np.sqrt(s) + eps), s_new


def _no_root(theta, g, s, lr, rho, eps):
    s = rho * s + (1 - rho) * g**2
    return theta - lr * g / (s + eps), s


def _rmsprop_cases():
    rng = np.random.default_rng(404)
    r = lambda *shape: rng.normal(size=shape)  # noqa: E731
    return [
        (np.array([1.0, -2.0]), np.array([0.5, -4.0]), np.array([0.3, 2.0]), 0.01, 0.99, 1e-8),
        (r(3), r(3), np.abs(r(3)), 0.1, 0.9, 1e-8),
        (r(2, 2), r(2, 2), np.abs(r(2, 2)), 0.05, 0.5, 1e-6),
        (np.array([0.2]), np.array([3.0]), np.array([0.0]), 0.01, 0.99, 1e-8),   # the first step, s = 0
        (np.array([0.5, 0.5]), np.array([2e-6, -1e-6]), np.array([1e-12, 4e-12]), 0.01, 0.9, 1e-8),  # |g| < sqrt(eps)
    ]


def exercises():
    """The chapter's self-checking exercises, in the order the chapter shows them."""
    first = _rmsprop_first_step(0.01, 0.99)
    rate = _adagrad_rate(0.1, 2.0, 100)
    return [
        NumericExercise(
            "ch4-first-step", "RMSProp's first step",
            "RMSProp starts with s₀ = 0 and runs with γ = 0.01, ρ = 0.99 and ε = 0. How long is its first step "
            "in a coordinate whose gradient g₁ is not zero? (The answer does not depend on g₁.)",
            answer=first, rtol=1e-3,
            hints=[(0.01, "0.01 = γ is the step once the average has warmed up. On the first step s₁ = (1 − ρ)g₁², "
                          "which is much smaller than g₁²."),
                   (0.001, "0.001 = γ√(1 − ρ): you multiplied by √(1 − ρ) instead of dividing by it. "
                           "s₁ = (1 − ρ)g₁², so the step is γ|g₁| / √((1 − ρ)g₁²)."),
                   (1.0, "1 = γ / (1 − ρ): you forgot the square root. The step divides by √s₁ = √(1 − ρ)|g₁|."),
                   (0.0001, "That is γ(1 − ρ); the update divides by √s₁, it does not multiply.")],
            explanation="s₁ = (1 − ρ)g₁², so the step is γ|g₁| / (√(1 − ρ)|g₁|) = γ / √(1 − ρ) = 0.01 / 0.1 = 0.1: "
                        "ten times the steady-state step γ. Adam's bias correction divides s by 1 − ρ^t to remove "
                        "exactly this factor.",
            too_high="Write s₁ from the update rule with s₀ = 0, then the step γ g₁ / √s₁.",
            too_low="Write s₁ from the update rule with s₀ = 0, then the step γ g₁ / √s₁."),
        NumericExercise(
            "ch4-adagrad-rate", "AdaGrad's effective learning rate",
            "AdaGrad with γ = 0.1 and ε = 0 receives the same gradient g = 2 at every step. What is its effective "
            "learning rate γ / √s_t after t = 100 steps?",
            answer=rate, rtol=1e-3,
            hints=[(0.01, "0.01 = γ/√t is the step size γ|g| / √s_t; the effective learning rate is the factor "
                          "in front of g, γ / √s_t, so divide by |g| once more."),
                   (0.05, "0.05 = γ/|g| is the rate after the first step only; s_t keeps growing: s_t = t g²."),
                   (0.00025, "That is γ / (t g²): you forgot the square root of s_t = t g²."),
                   (0.0005, "That is γ / (|g| t): the root applies to t too, √s_t = |g|√t."),
                   (0.0025, "That is γ / (g² √t); √s_t = |g|√t, with |g|, not g².")],
            explanation="s_t = t g² = 100 · 4 = 400, so γ / √s_t = 0.1 / 20 = 0.005. Each step then has size "
                        "0.005 · 2 = 0.01 = γ/√t: AdaGrad's steps shrink like 1/√t whatever the size of g.",
            too_high="Write s_t after t equal gradients, then γ / √s_t.",
            too_low="Write s_t after t equal gradients, then γ / √s_t."),
        ChoiceExercise(
            "ch4-why-stall", "Why AdaGrad stalls",
            "In long training runs, and on problems whose minimum moves, AdaGrad's progress slows to a crawl while "
            "RMSProp keeps moving. Why?",
            [("The gradients shrink to zero, so there is nothing left to learn.", False,
              "AdaGrad stalls even where the gradients stay large: in the chapter's drifting ravine its gradients "
              "grew while it fell behind. The problem is the denominator, not the gradient."),
             ("ε in the denominator dominates √s_t after many steps.", False,
              "ε is a constant and s_t only grows, so ε matters less and less as training goes on."),
             ("Its accumulator s_t adds a non-negative g_t² at every step and never forgets, so the effective "
              "rate γ / √s_t can only decrease; with gradients of similar size it falls like 1/√t.", True,
              "Right. RMSProp replaces the sum by an exponential moving average, which forgets old gradients, so "
              "its effective rate can rise again when the gradients shrink."),
             ("It forgets old gradients too quickly, so its steps become noisy.", False,
              "That is the opposite: AdaGrad forgets nothing. Forgetting is RMSProp's change, and it is what keeps "
              "RMSProp moving.")]),
        ChoiceExercise(
            "ch4-eps-placement", "ε inside or outside the root",
            "RMSProp with ε = 1e-8 has run long enough under a constant gradient of size |g| = 1e-6 that s_t ≈ g². "
            "Which form of the denominator takes the larger step?",
            [("√(s_t + ε) (the lecture, optax's rmsprop).", False,
              "Inside the root ε competes with g² = 1e-12 and wins: √(1e-12 + 1e-8) ≈ 1e-4, so the step is about "
              "γ · 1e-6 / 1e-4 = 0.01γ, a hundred times smaller than the other form's."),
             ("√s_t + ε (Duchi et al., PyTorch, coursecode's default).", True,
              "Right: √s + ε ≈ 1e-6 gives a step of about γ, while √(s + ε) ≈ √ε = 1e-4 gives γ|g|/√ε ≈ 0.01γ. "
              "Below |g| = √ε the inside form's step shrinks in proportion to |g| / √ε."),
             ("Both take the same step: ε is too small to matter.", False,
              "That holds for |g| ≫ √ε = 1e-4. At |g| = 1e-6 the two forms differ by a factor of about 100.")]),
        UpdateExercise(
            "ch4-rmsprop-step", "Write RMSProp's step",
            "Write rmsprop_step(theta, g, s, lr, rho, eps) that returns (theta, s) after one RMSProp step: "
            "s ← ρs + (1 − ρ)g², then θ ← θ − γ g / (√s + ε), element-wise. Return new arrays.",
            signature="rmsprop_step(theta, g, s, lr, rho, eps)", cases=_rmsprop_cases(),
            reference=_rmsprop_reference, outputs=["theta", "s"],
            accept=[(_rmsprop_eps_inside,
                     "You put ε inside the square root, √(s + ε), as the lecture writes it; coursecode and PyTorch "
                     "add it outside, √s + ε. The two differ only for gradients below √ε.")],
            diagnoses=[(_adagrad_sum, "You summed the squared gradients (s + g²): that is AdaGrad. RMSProp "
                                      "averages: s ← ρs + (1 − ρ)g²."),
                       (_no_one_minus_rho, "Your s forgets the factor (1 − ρ) in front of g²: s ← ρs + (1 − ρ)g²."),
                       (_old_s, "Your new s is right, but θ moved with the old s: update s first, then divide by "
                                "√s with the new s."),
                       (_no_root, "You divided by s + ε; RMSProp divides by its square root, √s + ε.")],
            explanation="This is coursecode.rmsprop(lr, rho, eps).step."),
    ]
