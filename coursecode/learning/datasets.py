"""What a data set is here, how its inputs are prepared, and how a classifier is scored on it.

Every generator of :mod:`coursecode.learning.synthetic` that makes training and
test data returns one :class:`Dataset`; every measure of a classifier's quality
comes down to :func:`error_rate`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _checks


def standardize(X):
    """Shift and scale each column of ``X`` to mean 0 and standard deviation 1.

    This is the usual input normalization; it removes differences of scale
    between features but keeps their correlations.

    Examples
    --------
    >>> X = standardize(np.array([[1.0, 10.0], [2.0, 30.0], [3.0, 50.0]]))
    >>> np.round(X.mean(axis=0), 12).tolist(), np.round(X.std(axis=0), 12).tolist()
    ([0.0, 0.0], [1.0, 1.0])
    """
    X = np.asarray(X, dtype=float)
    std = X.std(axis=0)
    if np.any(std == 0):
        raise ValueError("standardize: a column of X is constant")
    return (X - X.mean(axis=0)) / std


def _pm_one_labels(y):
    y = _checks._as_float_array("y", y)
    if not np.all(np.abs(y) == 1.0):
        raise ValueError("Invalid y: labels must be -1 or +1")
    return y


def error_rate(scores, y):
    """Fraction of points misclassified by the sign of ``scores`` (a score of 0 counts as an error).

    ``scores (..., n)``, labels ``y (n,)`` in {-1, +1}; returns shape ``(...)``.

    >>> error_rate(np.array([[2.0, -1.0, 0.5, 0.0], [1.0, 1.0, 1.0, 1.0]]), np.array([1.0, -1.0, -1.0, 1.0]))
    array([0.5, 0.5])
    """
    scores = np.asarray(scores, dtype=float)
    return np.mean(np.asarray(y) * scores <= 0, axis=-1)


def accuracy(theta, X, y):
    """Fraction of points ``X (n, d)`` whose label ``y`` in {-1, +1} the sign of ``X w`` gets right.

    ``theta (..., d)``; returns shape ``(...)``. A score of exactly 0 counts as wrong:
    this is ``1 - error_rate(X w, y)`` for a linear classifier.

    >>> accuracy(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[2.0, 1.0], [-1.0, 3.0]]), np.array([1.0, 1.0]))
    array([0.5, 1. ])
    """
    theta = _checks._as_float_array("theta", theta)
    return 1.0 - error_rate(theta @ _checks._as_float_array("X", X).T, _pm_one_labels(y))


@dataclass(frozen=True, eq=False)
class Dataset:
    """Training data, the model's loss on them, and held-out test data.

    A data set unpacks as its training data and the loss on them,
    ``X, y, problem = data``; the test set and the true weights (when the data
    come from a known model) are attributes. The methods score parameters
    ``theta (..., d)`` through the model's own outputs (``problem.predict``), so
    they work for every :class:`Model`.

    Attributes
    ----------
    X, y : arrays (n, p), (n,)
        The training data.
    problem : Model
        The loss on the training data (a :class:`~coursecode.problems.Problem`, for :func:`coursecode.run`).
    X_test, y_test : arrays (m, p), (m,), or None
        Test data from the same distribution.
    w_true : array (p,) or None
        The weights that generated the labels, when there are such weights.

    Examples
    --------
    >>> from coursecode.learning import wilson_data
    >>> data = wilson_data(n=10, seed=0, n_test=50)
    >>> X, y, problem = data
    >>> X.shape, data.X_test.shape, problem.dim
    ((10, 60), (50, 60), 60)
    >>> w = np.zeros(60); w[0] = 1.0                    # classify by the first feature, the label
    >>> float(data.train_error(w)), float(data.test_error(w)), float(data.test_accuracy(w))
    (0.0, 0.0, 1.0)
    """

    X: np.ndarray
    y: np.ndarray
    problem: object
    X_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    w_true: np.ndarray | None = None

    def __iter__(self):
        return iter((self.X, self.y, self.problem))

    def train_error(self, theta):
        """Training error of the sign of the model's output, for ``theta (..., d)``."""
        return error_rate(self.problem.predict(theta), self.problem.y)

    def test_error(self, theta):
        """Test error of the sign of the model's output, for ``theta (..., d)``."""
        return error_rate(self.problem.predict(theta, self.X_test), self.y_test)

    def test_accuracy(self, theta):
        """Test accuracy, ``1 - test_error(theta)``."""
        return 1.0 - self.test_error(theta)

    def test_loss(self, theta):
        """The model's loss on the test set, for ``theta (..., d)``."""
        return self.problem.loss(theta, self.X_test, self.y_test)

    def inits(self, seeds):
        """Seeded initial weights, one row per seed: shape (len(seeds), d).

        For a model with a random initialization (:meth:`TinyMLP.init_weights`):
        several runs from different starts on the same data.
        """
        return np.stack([self.problem.init_weights(int(s)) for s in seeds])


# The data sets' former names, one per generator; they are the one type now.
WilsonData = ClassificationTask = LogisticData = Dataset
