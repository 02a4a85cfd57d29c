"""cc.run: the loop every chapter uses. Divergence is data (reported, never raised),
batches of runs are independent, and what is recorded is what happened."""
from __future__ import annotations

import numpy as np
import pytest

import coursecode as cc


def manual(opt, grad, theta0, steps):
    """The loop written out, to compare run against."""
    theta, state = np.asarray(theta0, dtype=float), opt.init(theta0)
    thetas, grads, states = [theta], [], []
    for _ in range(steps):
        g = grad(theta)
        theta, state = opt.step(theta, g, state)
        thetas.append(theta)
        grads.append(g)
        states.append(state)
    return np.stack(thetas), np.stack(grads), states


def test_records_what_happened():
    f = cc.ravine()
    opt = cc.adam(lr=0.05)
    traj = cc.run(opt, f, [1.0, -0.5], 30)
    thetas, grads, _ = manual(opt, f.grad, [1.0, -0.5], 30)
    np.testing.assert_array_equal(traj.thetas, thetas)
    np.testing.assert_array_equal(traj.grads, grads)
    np.testing.assert_array_equal(traj.losses, f.value(thetas))
    assert traj.steps == 30 and traj.states is None
    np.testing.assert_array_equal(traj.final, thetas[-1])
    assert not traj.diverged and traj.diverged_at == -1 and traj.reasons == []
    assert traj.message == "ran 30 steps; no divergence"
    assert cc.run(opt, f, [1.0, -0.5], 30, record_grads=False).grads is None
    assert cc.run(opt, f, [1.0, -0.5], 0).thetas.shape == (1, 2)


def test_plain_callable_gradient():
    traj = cc.run(cc.gd(lr=0.25), lambda theta: 2 * theta, [4.0], 3)
    np.testing.assert_array_equal(traj.thetas[:, 0], [4.0, 2.0, 1.0, 0.5])
    assert traj.losses is None


def test_record_state_stacks_the_state():
    """record_state=True keeps the optimizer state after every step, field by field,
    stacked along a leading step axis (t has shape (n,), v has (n, *theta.shape))."""
    f = cc.stochastic(cc.rosenbrock(), noise=0.5, rng=1)
    opt = cc.amsgrad(lr=0.01)
    theta0 = np.array([[-1.0, 1.0], [0.0, 2.0], [1.5, 1.5]])
    traj = cc.run(opt, f, theta0, 25, record_state=True)
    _, _, states = manual(opt, cc.stochastic(cc.rosenbrock(), noise=0.5, rng=1).grad, theta0, 25)
    assert type(traj.states) is type(states[0])
    np.testing.assert_array_equal(traj.states.t, np.arange(1, 26))
    for field in ("m", "v", "v_max"):
        stacked = getattr(traj.states, field)
        assert stacked.shape == (25, 3, 2)
        np.testing.assert_array_equal(stacked, np.stack([getattr(s, field) for s in states]))


def test_divergence_is_reported_not_raised():
    """Landscape chapter: gd with lr = 1.2 on the bowl x^2 + y^2 multiplies theta by
    1 - 2 lr = -1.4 per step; |theta| passes 1e6 at step 42 (1.4^42 > 1e6 > 1.4^41)."""
    traj = cc.run(cc.gd(lr=1.2), cc.bowl(), [1.0, 1.0], 100)
    assert traj.diverged and int(traj.diverged_at) == 42
    assert traj.steps == 42                                    # the loop stopped there
    assert traj.message == "diverged at step 42: |theta| exceeded 1e+06"
    np.testing.assert_allclose(traj.thetas[41], [(-1.4) ** 41] * 2, rtol=1e-12)
    assert np.all(np.abs(traj.thetas[42]) > 1e6)              # the diverging step is kept
    stricter = cc.run(cc.gd(lr=1.2), cc.bowl(), [1.0, 1.0], 100, max_abs=10.0)
    assert int(stricter.diverged_at) == 7                     # 1.4^7 = 10.5 > 10


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_gradient_is_reported(bad):
    def grad(theta, calls=[0]):
        calls[0] += 1
        return np.full_like(theta, bad) if calls[0] == 5 else theta
    traj = cc.run(cc.adam(lr=0.1), grad, [1.0, 2.0], 20)
    assert int(traj.diverged_at) == 5
    assert "NaN or infinite" in traj.message and "step 5" in traj.message


def test_batched_runs_diverge_independently():
    """A batch of four learning rates on the bowl: the runs with lr = 1.2 and 1.5 diverge
    (each at its own step, then NaN), the others finish exactly as on their own."""
    lrs = np.array([[0.1], [1.2], [0.5], [1.5]])
    theta0 = np.ones((4, 2))
    traj = cc.run(cc.gd(lr=lrs), cc.bowl(), theta0, 60)
    singles = [cc.run(cc.gd(lr=float(lr)), cc.bowl(), [1.0, 1.0], 60) for lr in lrs[:, 0]]
    np.testing.assert_array_equal(traj.diverged_at, [int(s.diverged_at) for s in singles])
    assert list(traj.diverged_at) == [-1, 42, -1, 20]        # |1 - 2 lr|^k: 1.4^42, 2^20 > 1e6
    assert traj.steps == 60
    for i, single in enumerate(singles):
        k = int(traj.diverged_at[i])
        if k < 0:
            np.testing.assert_array_equal(traj.thetas[:, i], single.thetas)
        else:
            np.testing.assert_array_equal(traj.thetas[: k + 1, i], single.thetas[: k + 1])
            assert np.all(np.isnan(traj.thetas[k + 1 :, i]))
            assert np.all(np.isnan(traj.losses[k + 1 :, i]))
    assert traj.message.startswith("2 of 4 runs diverged (the first at step 20")
    assert len(traj.reasons) == 2


def test_online_run_projects_onto_the_feasible_set():
    """An online run plays x_t in [-1, 1]: every iterate is projected; losses are f_t(x_t)."""
    p = cc.reddi_cycle(C=3)
    traj = cc.run(cc.gd(lr=0.7), p, [[0.0], [0.9], [-0.9]], 40)
    assert np.all(np.abs(traj.thetas) <= 1.0)
    assert np.any(np.abs(traj.thetas) == 1.0)                 # the projection was active
    c = p.coefficient(np.arange(1, 41))
    np.testing.assert_allclose(traj.losses, c[:, None] * traj.thetas[:-1, :, 0])
    np.testing.assert_allclose(traj.regret(), p.regret(traj.thetas[:-1]))
    # without projection plain gd leaves [-1, 1]
    free = cc.run(cc.gd(lr=0.7), lambda x: np.full_like(x, 3.0), [[0.0]], 5)
    assert np.min(free.thetas) < -1


def test_regret_needs_an_online_problem():
    traj = cc.run(cc.gd(lr=0.1), cc.bowl(), [1.0, 1.0], 3)
    with pytest.raises(ValueError, match="online"):
        traj.regret()


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"steps": -1}, "steps"), ({"steps": 2.5}, "steps"), ({"steps": True}, "steps"),
    ({"theta0": 1.0}, "theta0"), ({"problem": object()}, "grad"), ({"max_abs": -1.0}, "max_abs"),
])
def test_invalid_arguments(kwargs, match):
    args = {"opt": cc.gd(lr=0.1), "problem": cc.bowl(), "theta0": [1.0, 1.0], "steps": 3, **kwargs}
    with pytest.raises(ValueError, match=match):
        cc.run(**args)


def test_stacked_rows_equal_separate_runs():
    """cc.stacked: each optimizer's block of rows runs exactly as that optimizer alone."""
    p = cc.rosenbrock()
    opts = [cc.adam(lr=0.05), cc.gd(lr=1e-3), cc.momentum(lr=np.array([[1e-3], [2e-3]]))]
    both = cc.run(cc.stacked(opts, rows=2), p, np.tile([-1.5, 2.0], (6, 1)), 40)
    for k, opt in enumerate(opts):
        alone = cc.run(opt, p, np.tile([-1.5, 2.0], (2, 1)), 40)
        np.testing.assert_allclose(both.thetas[:, 2 * k:2 * k + 2], alone.thetas, rtol=1e-12)


def test_stacked_rejects_a_batch_of_the_wrong_size():
    both = cc.stacked([cc.adam(), cc.gd(lr=0.1)], rows=3)
    with pytest.raises(ValueError, match="6 rows"):
        both.init(np.zeros((5, 2)))
    with pytest.raises(ValueError, match="rows"):
        cc.stacked([cc.adam()], rows=0)
    with pytest.raises(ValueError, match="optimizers"):
        cc.stacked([])
