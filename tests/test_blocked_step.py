"""Large arrays are updated block by block (Optimizer._blocked): the result must be the same, bit for bit."""
import numpy as np
import pytest

import coursecode as cc
from coursecode.optimizers import _base
from coursecode.optimizers.adam import Adam

SETTINGS = [("gd", {"lr": 0.1}), ("momentum", {"lr": 0.1}), ("adagrad", {}), ("rmsprop", {}), ("adam", {}),
            ("adam_l2", {"weight_decay": 0.1}), ("adamw", {"lr": 0.1, "weight_decay": 0.1}),
            ("amsgrad", {}), ("amsgrad", {"bias_correction": True, "max_of": "corrected"}),
            ("adamax", {}), ("nadam", {}), ("radam", {}), ("lion", {}), ("adabelief", {}), ("adopt", {})]


@pytest.mark.parametrize("name,kwargs", SETTINGS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(SETTINGS)])
def test_blocks_give_the_same_steps(monkeypatch, name, kwargs):
    rng = np.random.default_rng(7)
    theta, opt = rng.standard_normal((37, 53)), cc.ALL[name](**kwargs)   # 1961 elements, not a multiple
    gs = rng.standard_normal((8, 37, 53))                 # RAdam rectifies from step 6 on

    def eight_steps():
        th, st = theta, opt.init(theta)
        for g in gs:
            th, st = opt.step(th, g, st)
        return th, st

    monkeypatch.setattr(_base, "BLOCK", 10**9)
    whole = eight_steps()
    monkeypatch.setattr(_base, "BLOCK", 64)                # 31 blocks, the last one short
    blocks = eight_steps()
    assert np.array_equal(whole[0], blocks[0])
    assert type(whole[1]) is type(blocks[1])
    for a, b in zip(whole[1], blocks[1]):
        assert np.array_equal(a, b) and np.shape(a) == np.shape(b)


def test_array_hyperparameters_and_schedules_are_not_blocked(monkeypatch):
    monkeypatch.setattr(_base, "BLOCK", 8)
    theta = np.ones((4, 16))
    lrs = np.array([[0.1], [0.2], [0.3], [0.4]])
    assert not cc.adam(lr=lrs)._blockable(lrs)
    opt = cc.adam(lr=lambda t: 0.1 / t)
    assert opt._blockable(opt.lr_at(1))                   # a schedule's value at a step is a scalar
    th, st = cc.adam(lr=lrs).step(theta, np.ones_like(theta), cc.adam(lr=lrs).init(theta))
    np.testing.assert_allclose(th[:, 0], 1 - lrs[:, 0], rtol=1e-6)


# -- the tape: _update runs once per step on stand-ins, its ufuncs are replayed per block --------------

def _replays(monkeypatch):
    """Count the steps replayed from a tape (the others ran in one piece)."""
    calls = []
    replay = _base.Tape.replay

    def counting(self, inputs, block):
        calls.append(self)
        return replay(self, inputs, block)

    monkeypatch.setattr(_base.Tape, "replay", counting)
    return calls


@pytest.mark.parametrize("name,kwargs", SETTINGS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(SETTINGS)])
def test_every_elementwise_optimizer_is_replayed_from_its_tape(monkeypatch, name, kwargs):
    monkeypatch.setattr(_base, "BLOCK", 64)
    calls = _replays(monkeypatch)
    theta = np.linspace(-1, 1, 300)
    opt = cc.ALL[name](**kwargs)
    th, st = opt.step(theta, np.cos(theta), opt.init(theta))
    opt.step(th, np.sin(th), st)                            # ADOPT's first step differs from the others
    assert len(calls) == 2
    program, consts, buffers = calls[-1]._program()
    assert len(buffers) <= 4                                # a few scratch buffers, reused along the step


def test_adam_at_the_real_block_size_is_bit_identical_and_pure(monkeypatch):
    rng = np.random.default_rng(3)
    n = 3 * _base.BLOCK + 17                                # three full blocks and a short one
    theta, g, opt = rng.standard_normal(n), rng.standard_normal(n), cc.amsgrad(bias_correction=True)
    state = opt.init(theta)
    theta, state = opt.step(theta, g, state)
    before = [theta.copy(), g.copy()] + [a.copy() for a in state[1:]]
    calls = _replays(monkeypatch)
    blocked = opt.step(theta, g, state)
    assert len(calls) == 1
    for a, b in zip([theta, g, *state[1:]], before):        # the inputs are left as they were
        assert np.array_equal(a, b)
    for new in [blocked[0], *blocked[1][1:]]:               # the outputs are new arrays
        assert not any(np.shares_memory(new, old) for old in [theta, g, *state[1:]])
    monkeypatch.setattr(_base, "BLOCK", 10**9)
    whole = opt.step(theta, g, state)
    assert np.array_equal(whole[0], blocked[0])
    assert all(np.array_equal(a, b) for a, b in zip(whole[1], blocked[1]))


def test_a_schedule_is_blocked_with_its_value_at_each_step(monkeypatch):
    rng = np.random.default_rng(4)
    theta, gs = rng.standard_normal(500), rng.standard_normal((4, 500))
    opt = cc.adamw(lr=lambda t: 0.1 / t, weight_decay=0.1)

    def run():
        th, st = theta, opt.init(theta)
        for g in gs:
            th, st = opt.step(th, g, st)
        return th, st

    monkeypatch.setattr(_base, "BLOCK", 10**9)
    whole = run()
    monkeypatch.setattr(_base, "BLOCK", 64)
    calls = _replays(monkeypatch)
    blocked = run()
    assert len(calls) == 4
    assert np.array_equal(whole[0], blocked[0]) and np.array_equal(whole[1].v, blocked[1].v)


class _Branchy(Adam):
    """An update that looks at values (not elementwise ufuncs only): the tape must give up."""

    def _update(self, theta, g, state, lr):
        theta, state = super()._update(theta, g, state, lr)
        if np.any(g > 10):                                  # a reduction, then a branch on its value
            theta = theta - 1
        return np.where(theta > 0, theta, 0.5 * theta), state


class _Keeps(Adam):
    """An update that returns a state array unchanged and one result twice: copied into the outputs."""

    def _update(self, theta, g, state, lr):
        m = 0.5 * state.m + g
        return m, self.State(state.t + 1, m, state.v)           # theta_t = m_t, and v as it was


def test_an_update_the_tape_cannot_follow_runs_in_one_piece(monkeypatch):
    theta = np.linspace(-2, 2, 400)
    opt = _Branchy()
    monkeypatch.setattr(_base, "BLOCK", 10**9)
    whole = opt.step(theta, np.cos(theta), opt.init(theta))
    monkeypatch.setattr(_base, "BLOCK", 64)
    calls = _replays(monkeypatch)
    fallback = opt.step(theta, np.cos(theta), opt.init(theta))
    assert calls == []
    assert np.array_equal(whole[0], fallback[0])


def test_unchanged_and_repeated_results_are_copied_into_new_arrays(monkeypatch):
    theta = np.linspace(-2, 2, 400)
    opt = _Keeps(lr=0.1)
    state = opt.init(theta)._replace(v=np.full(400, 3.0))
    monkeypatch.setattr(_base, "BLOCK", 64)
    calls = _replays(monkeypatch)
    th, st = opt.step(theta, np.cos(theta), state)
    assert len(calls) == 1
    assert np.array_equal(st.v, state.v) and not np.shares_memory(st.v, state.v)
    assert np.array_equal(st.m, np.cos(theta)) and np.array_equal(th, st.m) and not np.shares_memory(th, st.m)


class _Clipped(Adam):
    """np.where with an array condition, and a copy: both go on the tape."""

    def _update(self, theta, g, state, lr):
        theta, state = super()._update(theta.copy(), g, state, lr)
        return np.where(np.abs(theta) > 1, np.sign(theta), theta), state


def test_where_and_copy_are_replayed_bit_for_bit(monkeypatch):
    theta = np.linspace(-2, 2, 401)
    opt = _Clipped(lr=0.5)
    monkeypatch.setattr(_base, "BLOCK", 10**9)
    whole = opt.step(theta, np.cos(3 * theta), opt.init(theta))
    monkeypatch.setattr(_base, "BLOCK", 64)
    calls = _replays(monkeypatch)
    blocked = opt.step(theta, np.cos(3 * theta), opt.init(theta))
    assert len(calls) == 1
    assert np.array_equal(whole[0], blocked[0]) and np.abs(blocked[0]).max() == 1
