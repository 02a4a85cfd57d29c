r"""Real data: the handwritten digits that ship with scikit-learn, and a seeded stratified split (chapter 10).

The data set holds 1,797 grey-scale images of 8 x 8 pixels, about 180 of each
digit 0-9: the test part of Alpaydin & Kaynak's optical recognition of
handwritten digits (UCI, 1998), written by 13 people, as scikit-learn packages
it. Each pixel counts the ink in a 4 x 4 block of a 32 x 32 bitmap, 0 to 16. The
data are stored inside the scikit-learn wheel, so :func:`load_digits` needs no
download; it needs scikit-learn itself, which is imported only here, when the
data are loaded.

:func:`stratified_split` cuts any labelled data set into training, validation and
test parts that keep the proportion of every class; :func:`digits` does both and
returns a :class:`Split`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _checks
from .mlp import MLP

#: The largest pixel value of scikit-learn's digits (16 grey levels above 0).
PIXEL_MAX = 16.0
MISSING = "the digits chapter needs scikit-learn: pip install scikit-learn"


def load_digits():
    """The 1,797 digits as ``X (1797, 64)``, pixels scaled to [0, 1], and labels ``y (1797,)`` in 0..9.

    Row ``i`` of ``X`` is image ``i`` read row by row (``X[i].reshape(8, 8)`` is the
    image). Labels are floats, like every label in :mod:`coursecode.learning`.
    Raises ImportError with the install line when scikit-learn is missing.

    Examples
    --------
    >>> X, y = load_digits()
    >>> X.shape, float(X.min()), float(X.max()), np.bincount(y.astype(int)).tolist()
    ((1797, 64), 0.0, 1.0, [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
    """
    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError:
        raise ImportError(MISSING) from None
    data = sklearn_digits()
    return np.asarray(data.data, dtype=float) / PIXEL_MAX, np.asarray(data.target, dtype=float)


def stratified_split(y, validation=0.2, test=0.2, seed=0):
    """Indices of a seeded training / validation / test split that keeps every class's share.

    Each class is shuffled on its own and cut into ``round(test * n_c)`` test points,
    ``round(validation * n_c)`` validation points and the rest for training, where
    ``n_c`` is its number of points. Returns three sorted index arrays that together
    hold every index exactly once.

    Examples
    --------
    >>> y = np.repeat([0.0, 1.0], [10, 20])
    >>> train, val, test = stratified_split(y, validation=0.2, test=0.3, seed=0)
    >>> len(train), len(val), len(test), np.bincount(y[test].astype(int)).tolist()
    (15, 6, 9, [3, 6])
    """
    y = _checks._as_float_array("y", y)
    if y.ndim != 1 or y.size == 0:
        raise ValueError(f"Invalid y: must be a non-empty 1-D array of labels, got shape {y.shape}")
    fractions = {}
    for name, value in (("validation", validation), ("test", test)):
        value = float(_checks.nonnegative(name, value))
        if value >= 1:
            raise ValueError(f"Invalid {name}: {value} (must be a fraction below 1)")
        fractions[name] = value
    if fractions["validation"] + fractions["test"] >= 1:
        raise ValueError(f"Invalid validation, test: {validation}, {test} (together they leave no training data)")
    rng = _checks.generator("seed", seed)
    parts = ([], [], [])
    for label in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == label))
        n_test = int(round(fractions["test"] * idx.size))
        n_val = int(round(fractions["validation"] * idx.size))
        parts[2].append(idx[:n_test])
        parts[1].append(idx[n_test:n_test + n_val])
        parts[0].append(idx[n_test + n_val:])
    return tuple(np.sort(np.concatenate(p)) for p in parts)


@dataclass(frozen=True, eq=False)
class Split:
    """A labelled data set cut into training, validation and test parts.

    The training part is what a model is fitted to; the validation part chooses
    hyperparameters; the test part is looked at once, for the final numbers.

    Attributes
    ----------
    X_train, y_train, X_val, y_val, X_test, y_test : arrays (n_part, p) and (n_part,)
    classes : int
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    classes: int = 10

    @property
    def sizes(self):
        """The number of points in each part, as ``(train, validation, test)``."""
        return self.y_train.size, self.y_val.size, self.y_test.size

    def mlp(self, hidden=(32,), seed=0):
        """A ReLU network with a softmax output on the training part (``hidden=()``: softmax regression)."""
        return MLP(self.X_train, self.y_train, hidden=hidden, classes=self.classes, seed=seed,
                   name=None if hidden else "softmax regression")

    def errors(self, model, theta):
        """Misclassified points of ``theta (..., d)`` on each part: ``{"train", "val", "test"}`` -> counts (...)."""
        parts = {"train": (self.X_train, self.y_train), "val": (self.X_val, self.y_val),
                 "test": (self.X_test, self.y_test)}
        return {name: np.rint(model.error(theta, X, y) * y.size).astype(int) for name, (X, y) in parts.items()}


def digits(validation=0.2, test=0.2, seed=0):
    """scikit-learn's digits, pixels in [0, 1], split by :func:`stratified_split`: a :class:`Split`.

    Examples
    --------
    >>> data = digits(seed=0)
    >>> data.sizes, data.X_train.shape[1]
    ((1079, 359, 359), 64)
    >>> [int(np.sum(data.y_test == k)) for k in range(10)]      # every digit in its share
    [36, 36, 35, 37, 36, 36, 36, 36, 35, 36]
    """
    X, y = load_digits()
    train, val, tst = stratified_split(y, validation, test, seed)
    return Split(X[train], y[train], X[val], y[val], X[tst], y[tst], classes=10)
