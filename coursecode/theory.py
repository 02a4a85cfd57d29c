"""Closed forms that chapters, explorers and homework share (numpy only).

Each is written once here: the condition number of a quadratic, and Polyak's
analysis of heavy-ball momentum on it (the optimal pair and the rate of any pair).

Examples
--------
>>> condition_number([[10.0, 0.0], [0.0, 1.0]]), condition_number([1.0, 100.0])
(10.0, 100.0)
>>> alpha, beta, rate = momentum_optimum(1.0, 100.0)
>>> round(alpha, 4), round(beta, 4), round(rate, 4)
(0.0331, 0.6694, 0.8182)
>>> round(float(momentum_rate(alpha, beta, [1.0, 100.0])), 4)    # the optimum reaches its rate
0.8182
"""
from __future__ import annotations

import math

import numpy as np


def condition_number(H):
    """kappa = lambda_max / lambda_min of a symmetric matrix, or of a list of its eigenvalues.

    Infinite when the smallest eigenvalue is not positive (singular or indefinite).
    """
    H = np.asarray(H, dtype=float)
    lam = np.linalg.eigvalsh(H) if H.ndim == 2 else np.sort(np.ravel(H))
    lo, hi = float(lam[0]), float(lam[-1])
    return hi / lo if lo > 0 else float("inf")


def momentum_optimum(mu, L):
    """Polyak's optimal heavy-ball pair for eigenvalues in [mu, L]: ``(alpha, beta, rate)``.

    alpha = 4/(sqrt(L)+sqrt(mu))^2, beta = ((sqrt(L)-sqrt(mu))/(sqrt(L)+sqrt(mu)))^2 and the
    rate is sqrt(beta) = (sqrt(kappa)-1)/(sqrt(kappa)+1) per step, for
    theta <- theta - alpha g + beta (theta - theta_prev). In the lecture's EMA form
    (v <- beta v + (1-beta) g, theta <- theta - lr v) the same run has lr = alpha/(1-beta).
    """
    sm, sL = math.sqrt(mu), math.sqrt(L)
    alpha = 4.0 / (sL + sm) ** 2
    beta = ((sL - sm) / (sL + sm)) ** 2
    return alpha, beta, (sL - sm) / (sL + sm)


def momentum_rate(alpha, beta, eigenvalues):
    """Asymptotic convergence rate (spectral radius) of heavy ball on a quadratic.

    For each eigenvalue lam the error obeys e_{t+1} = (1 + beta - alpha lam) e_t - beta e_{t-1};
    the rate is the largest root modulus of z^2 - (1 + beta - alpha lam) z + beta, that is the
    spectral radius of [[1 + beta - alpha lam, -beta], [1, 0]], over the eigenvalues. alpha and
    beta broadcast (a whole grid in one call); a rate >= 1 means no convergence.
    """
    alpha, beta = np.asarray(alpha, dtype=float), np.asarray(beta, dtype=float)
    rate = np.zeros(np.broadcast(alpha, beta).shape)
    for lam in np.ravel(eigenvalues):
        b = 1 + beta - alpha * lam
        root = np.sqrt(b * b - 4 * beta + 0j)
        rate = np.maximum(rate, np.maximum(np.abs((b + root) / 2), np.abs((b - root) / 2)))
    return rate
