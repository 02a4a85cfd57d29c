"""Invalid input raises ValueError with a message that names the culprit.

A student who types ``beta1=1`` or passes a gradient of the wrong shape should
read what is wrong in one line. Every factory in ``cc.ALL`` is checked for every
one of its hyperparameters, found from its signature, so a new optimizer or a
new hyperparameter is covered (or fails ``test_every_hyperparameter_is_classified``).
"""
from __future__ import annotations

import inspect
import re

import numpy as np
import pytest

import coursecode as cc

NONNEGATIVE = {"lr", "eps", "weight_decay", "initial_accumulator_value", "momentum_decay", "eps2",
               "weight_lr_power"}
UNIT_INTERVAL = {"beta", "rho", "beta1", "beta2", "momentum"}
# Hyperparameters of one optimizer each, broken in that optimizer's own test file:
# adafactor's and muon's in tests/test_matrix_optimizers.py, schedule-free's in tests/test_schedule_free.py.
ELSEWHERE = {"beta2_decay", "eps1", "d", "ns_steps", "warmup_steps"}
FLAGS = {"eps_inside_sqrt", "decoupled", "bias_correction", "nesterov", "momentum_schedule"}
CHOICES = {"form": "ema", "max_of": "raw"}


def _params(kinds):
    out = []
    for name, factory in cc.ALL.items():
        for p in inspect.signature(factory).parameters:
            if p in kinds:
                out.append(pytest.param(name, p, id=f"{name}-{p}"))
    return out


def make(name, **kwargs):
    """The factory with valid defaults, lr given where it is required."""
    factory = cc.ALL[name]
    if inspect.signature(factory).parameters["lr"].default is inspect.Parameter.empty:
        kwargs.setdefault("lr", 0.1)
    return factory(**kwargs)


def raises_naming(culprit, *fragments):
    """pytest.raises(ValueError) whose message contains the culprit's name as a word."""
    pattern = rf"\b{re.escape(culprit)}\b" + "".join(rf"[\s\S]*{re.escape(f)}" for f in fragments)
    return pytest.raises(ValueError, match=pattern)


def test_every_hyperparameter_is_classified():
    """Each factory argument is one this file knows how to break."""
    known = NONNEGATIVE | UNIT_INTERVAL | FLAGS | set(CHOICES) | ELSEWHERE
    for name, factory in cc.ALL.items():
        unknown = set(inspect.signature(factory).parameters) - known
        assert not unknown, f"{name}: add {unknown} to test_validation.py"


# -- numbers --------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "param"), _params(NONNEGATIVE))
@pytest.mark.parametrize("bad", [-1e-3, -np.inf, np.nan, np.inf])
def test_nonnegative_hyperparameter_rejects(name, param, bad):
    """lr, eps, weight decay and the like: negative, NaN and infinite values name the parameter."""
    with raises_naming(param, str(bad)):
        make(name, **{param: bad})


@pytest.mark.parametrize(("name", "param"), _params(UNIT_INTERVAL))
@pytest.mark.parametrize("bad", [-0.1, 1.0, 1.5, np.nan, np.inf])
def test_decay_rate_outside_unit_interval_rejected(name, param, bad):
    """beta, rho, beta1, beta2 must satisfy 0 <= x < 1 (1 itself never forgets: rejected)."""
    with raises_naming(param, str(bad)):
        make(name, **{param: bad})


@pytest.mark.parametrize(("name", "param"), _params(NONNEGATIVE | UNIT_INTERVAL))
@pytest.mark.parametrize("bad", [True, False, "0.1", None, [0.1, "a"], 1j, {"a": 1}])
def test_non_numbers_rejected(name, param, bad):
    """A bool, a string, None or a complex number is not a hyperparameter value."""
    with raises_naming(param):
        make(name, **{param: bad})


@pytest.mark.parametrize(("name", "param"), _params(NONNEGATIVE | UNIT_INTERVAL))
def test_array_with_one_bad_entry_rejected(name, param):
    """An array hyperparameter (a sweep) with one bad entry names the parameter and the entry."""
    bad = -0.5 if param in NONNEGATIVE else 1.25
    values = np.array([[0.5, 0.25], [bad, 0.125]]) * (1e-2 if param in NONNEGATIVE else 1)
    values[1, 0] = bad
    with raises_naming(param, str(bad)):
        make(name, **{param: values})
    values[1, 0] = np.nan
    with raises_naming(param, "nan"):
        make(name, **{param: values})


@pytest.mark.parametrize(("name", "param"), _params(NONNEGATIVE | UNIT_INTERVAL))
def test_valid_values_accepted(name, param):
    """The boundaries that are allowed (0 for every rate, a valid array) do construct,
    and a broadcasting array runs a step: the tests above fail for the right reason."""
    make(name, **{param: 0.0})
    values = np.array([[0.5], [0.25]]) * (1e-2 if param in NONNEGATIVE else 1)
    opt = make(name, **{param: values})
    theta, state = opt.step(np.ones((2, 3)), np.ones((2, 3)), opt.init(np.ones((2, 3))))
    assert theta.shape == (2, 3) and state.t == 1


@pytest.mark.parametrize(("name", "param"), _params(NONNEGATIVE | UNIT_INTERVAL))
@pytest.mark.parametrize("shape", [(2,), (4, 1), (2, 2, 3)])
def test_array_that_does_not_broadcast_to_theta(name, param, shape):
    """A hyperparameter array must broadcast to theta's shape (2, 3) without enlarging it."""
    values = np.full(shape, 0.5 * (1e-2 if param in NONNEGATIVE else 1))
    opt = make(name, **{param: values})
    with raises_naming(param, str(shape), "(2, 3)"):
        opt.init(np.zeros((2, 3)))


def test_schedule_that_fails_at_the_first_step():
    """A learning-rate schedule is called at t = 1 at construction; a bad one is named."""
    with raises_naming("lr", "-0.1"):
        cc.adam(lr=lambda t: -0.1)
    with raises_naming("lr", "ZeroDivisionError"):
        cc.adam(lr=lambda t: 1 / (t - 1))


# -- flags and choices ----------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "param"), _params(FLAGS))
@pytest.mark.parametrize("bad", ["False", "yes", None, 1])
def test_flag_must_be_a_bool(name, param, bad):
    """bool("False") is True: a string given for a flag must raise, not flip the flag."""
    with raises_naming(param):
        make(name, **{param: bad})


@pytest.mark.parametrize(("name", "param"), _params(set(CHOICES)))
def test_choice_must_be_one_of_the_options(name, param):
    with raises_naming(param, "'nonsense'"):
        make(name, **{param: "nonsense"})


def test_amsgrad_corrected_max_needs_bias_correction():
    with raises_naming("max_of", "bias_correction"):
        cc.amsgrad(max_of="corrected", bias_correction=False)


# -- gradients and states -----------------------------------------------------------------------
ALL = [pytest.param(name, id=name) for name in cc.ALL]


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize(("theta_shape", "g_shape"), [
    ((2,), (1, 2)),          # numpy would broadcast to (1, 2)
    ((1, 2), (2,)),
    ((3, 1), (3,)),          # numpy would broadcast to (3, 3)
    ((3,), (3, 1)),
    ((1,), ()),
    ((2, 3), (3, 2)),        # same size, transposed
    ((4,), (5,)),
])
def test_gradient_shape_must_equal_theta_shape(name, theta_shape, g_shape):
    """step raises when g and theta shapes differ, even where numpy would broadcast."""
    if name == "muon" and len(theta_shape) < 2:
        pytest.skip("muon refuses a theta that is not a matrix (tests/test_matrix_optimizers.py)")
    opt = make(name)
    theta = np.ones(theta_shape)
    with raises_naming("gradient", str(g_shape), str(theta_shape)):
        opt.step(theta, np.ones(g_shape), opt.init(theta))


@pytest.mark.parametrize("name", ALL)
def test_state_from_another_optimizer_rejected(name):
    opt = make(name)
    other = cc.gd(lr=0.1) if name != "gd" else cc.momentum(lr=0.1)
    theta = np.ones((1, 2))            # a matrix: muon takes nothing else
    with raises_naming("state"):
        opt.step(theta, np.ones((1, 2)), other.init(theta))


@pytest.mark.parametrize("name", ALL)
def test_non_numeric_theta_or_gradient_rejected(name):
    opt = make(name)
    state = opt.init(np.ones((1, 2)))  # a matrix: muon takes nothing else
    with raises_naming("theta"):
        opt.step([["a", "b"]], np.ones((1, 2)), state)
    with raises_naming("gradient"):
        opt.step(np.ones((1, 2)), [["a", "b"]], state)


def test_schedule_checked_at_every_step():
    """A schedule that turns negative later is caught at the step where it does."""
    opt = cc.adam(lr=lambda t: 1e-3 if t < 3 else -1.0)
    theta, state = np.zeros(2), opt.init(np.zeros(2))
    for _ in range(2):
        theta, state = opt.step(theta, np.ones(2), state)
    with pytest.raises(ValueError, match="schedule at step 3.*lr"):
        opt.step(theta, np.ones(2), state)


@pytest.mark.parametrize("name", ["momentum", "adam", "amsgrad", "rmsprop"])
def test_state_made_for_another_shape_rejected(name):
    """A state from init on a (2,) theta must not silently broadcast against a (3, 2) theta."""
    opt = cc.ALL[name](lr=0.1)
    state = opt.init(np.zeros(2))
    with pytest.raises(ValueError, match="state.* shape"):
        opt.step(np.zeros((3, 2)), np.ones((3, 2)), state)


# -- adopt ----------------------------------------------------------------------------------------
def test_adopt_signature_and_validation():
    """cc.adopt(lr=1e-3, beta1=0.9, beta2=0.9999, eps=1e-6): exactly these arguments (optax's defaults),
    each validated by name; no weight decay; the floor eps = 0 is allowed, as in optax; a state made
    for another shape is refused."""
    params = inspect.signature(cc.adopt).parameters
    assert [(p, v.default) for p, v in params.items()] == [
        ("lr", 1e-3), ("beta1", 0.9), ("beta2", 0.9999), ("eps", 1e-6)]
    for name, bad in [("lr", -1.0), ("beta1", 1.0), ("beta2", -0.1), ("eps", np.nan)]:
        with raises_naming(name, str(bad)):
            cc.adopt(**{name: bad})
    with pytest.raises(TypeError):
        cc.adopt(weight_decay=0.1)
    opt = cc.adopt(eps=0.0)
    state = opt.init(np.zeros(2))
    with pytest.raises(ValueError, match="state.* shape"):
        opt.step(np.zeros((3, 2)), np.ones((3, 2)), state)
