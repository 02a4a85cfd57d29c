"""Validation shared by every optimizer: clear errors that name the culprit.

A student who types ``beta1=1`` or passes a gradient of the wrong shape should
read what is wrong in one line, not a traceback from deep inside numpy.
"""
from __future__ import annotations

import numbers

import numpy as np


def _as_float_array(name, value):
    if isinstance(value, (bool, np.bool_, str, bytes)) or value is None:
        raise ValueError(f"Invalid {name}: {value!r} (must be a number or an array of numbers)")
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"Invalid {name}: {value!r} (must be a number or an array of numbers)") from None
    if not np.all(np.isfinite(arr)):
        bad = arr[~np.isfinite(arr)].flat[0]
        raise ValueError(f"Invalid {name}: {bad} (must be finite)")
    return arr


def _freeze(arr):
    if arr.ndim == 0:
        return float(arr)
    arr.setflags(write=False)
    return arr


def nonnegative(name, value):
    """A finite number (or array) >= 0: learning rates, eps, weight decay."""
    arr = _as_float_array(name, value)
    if np.any(arr < 0):
        raise ValueError(f"Invalid {name}: {arr[arr < 0].flat[0]} (must be >= 0)")
    return _freeze(arr)


def unit_interval(name, value):
    """A decay rate in [0, 1): beta, rho, beta1, beta2."""
    arr = _as_float_array(name, value)
    bad = (arr < 0) | (arr >= 1)
    if np.any(bad):
        raise ValueError(f"Invalid {name}: {arr[bad].flat[0]} (must satisfy 0 <= {name} < 1)")
    return _freeze(arr)


def learning_rate(value):
    """A learning rate: a number, an array, or a schedule ``t -> lr`` (t = 1, 2, ...)."""
    if callable(value):
        try:
            first = value(1)
        except Exception as exc:  # a schedule that cannot even start is a bad hyperparameter
            raise ValueError(f"Invalid lr: the schedule raised {type(exc).__name__} at t = 1") from None
        nonnegative("lr", first)
        return value
    return nonnegative("lr", value)


def choice(name, value, options):
    if value not in options:
        raise ValueError(f"Invalid {name}: {value!r} (must be one of {', '.join(map(repr, options))})")
    return value


def flag(name, value):
    """True or False; ``bool("False")`` is True, so strings and numbers are refused."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"Invalid {name}: {value!r} (must be True or False)")
    return bool(value)


def integer(name, value, minimum=0):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"Invalid {name}: {value!r} (must be an integer >= {minimum})")
    return int(value)


def as_theta(theta, name="theta"):
    """Parameters as a float64 array (a copy is never made when it is one already)."""
    try:
        arr = np.asarray(theta, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an array of numbers, got {theta!r}") from None
    return arr


def same_shape(theta, g):
    """``g`` must have exactly theta's shape: numpy would silently broadcast (2,) against (1, 2)."""
    theta = as_theta(theta)
    g = as_theta(g, "gradient")
    if g.shape != theta.shape:
        raise ValueError(f"gradient shape {g.shape} differs from theta shape {theta.shape}")
    return theta, g


def broadcasts_to(name, value, shape):
    """A hyperparameter array must broadcast against theta without enlarging it."""
    vshape = np.shape(value)
    try:
        out = np.broadcast_shapes(vshape, shape)
    except ValueError:
        out = None
    if out != tuple(shape):
        raise ValueError(f"Invalid {name}: shape {vshape} does not broadcast to theta's shape {tuple(shape)}")


def generator(name, seed):
    """A ``numpy.random.Generator`` from an int seed, or the generator itself: the book's one seed rule.

    Every function that draws random numbers takes its randomness through this, so
    the same seed gives the same numbers everywhere and a wrong type fails in one line.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, (bool, np.bool_)):
        return np.random.default_rng(int(seed))
    raise ValueError(f"Invalid {name}: {seed!r} (must be an int seed or a numpy.random.Generator)")
