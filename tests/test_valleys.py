"""Valleys: theory against detection on scanned surfaces (Horn et al. §III, §V)."""

import math

import numpy as np
import pytest

import fastsurf as fs
from fastsurf import valleys as V


def _linear(seed, T=100, n_seq=1):
    model = fs.RecurrentNeuron("purelin")
    return fs.Problem(model, fs.make_sequence_data(model, (0.5, 0.5), T=T, n_seq=n_seq,
                                                   seed=seed))


@pytest.mark.parametrize("seed", range(6))
def test_linear_valleys_match_detected_within_one_cell(seed):
    prob = _linear(seed)
    surf = fs.scan.grid(prob, [0.5, 0.5], ranges=((-2, 2), (-5, 5)), shape=(384, 384),
                        progress=False)
    pred = V.predict(prob, ((-2, 2), (-5, 5)))
    cmp = V.compare(pred, V.detect(surf), surf, tol=1.0)
    real = [p for p in pred if p.kind in ("root", "input-zero")]
    matched = [m[0] for m in cmp.matched]
    for p in real:
        assert any(p is m for m in matched), f"seed {seed}: {p.kind} {p.root} not detected"
    for _, _, dist, cov in cmp.matched:
        assert dist <= 1.0 and cov >= 0.5


def test_root_valleys_are_minima_of_cross_sections():
    prob = _linear(0)
    for v in V.predict(prob, ((-2, 2), (-5, 5))):
        if v.kind != "root":
            continue
        w2 = np.linspace(v.root - 0.02, v.root + 0.02, 4001)
        for w1 in (-1.3, 0.4, 1.7):
            sse = prob.losses(np.column_stack([np.full_like(w2, w1), w2]))
            i = int(np.argmin(sse))
            strong = abs(v.root) ** 100 > 1e6
            assert 0 < i < w2.size - 1                      # a strict interior minimum
            # deep and exactly at the root when the outputs explode; shallower and near it
            # when they barely grow
            assert sse[i] < (1e-2 if strong else 0.5) * min(sse[0], sse[-1])
            assert abs(w2[i] - v.root) <= (2e-5 if strong else 5e-3)


def test_root_valleys_are_the_real_roots_outside_the_unit_circle():
    prob = _linear(1)
    roots = fs.roots.real_roots(fs.roots.response_coefficients(prob.data.p[0]))
    expected = sorted(r for r in roots if abs(r) ** 100 >= 10 and -5 <= r <= 5)
    got = sorted(v.root for v in V.predict(prob) if v.kind == "root")
    np.testing.assert_allclose(got, expected, rtol=1e-14)


def test_survival_of_per_sequence_valleys_in_the_summed_sse():
    model = fs.RecurrentNeuron("purelin")
    rng = np.random.default_rng(4)
    p = np.random.default_rng(0).standard_normal(100)     # Horn's input: three valleys
    t = np.asarray(model.simulate([0.5, 0.5], fs.SequenceData(p, np.zeros(100))))[0]
    same = fs.Problem(model, fs.SequenceData(np.vstack([p, p]), np.vstack([t, t])))
    roots = [v for v in V.predict(same) if v.kind == "root"]
    assert roots and all(v.survives for v in roots)
    q = rng.standard_normal(100)
    tq = np.asarray(model.simulate([0.5, 0.5], fs.SequenceData(q, np.zeros(100))))[0]
    mixed = fs.Problem(model, fs.SequenceData(np.vstack([p, q]), np.vstack([t, tq])))
    per = [v for v in V.predict(mixed) if v.kind == "root"]
    assert {v.sequence for v in per} <= {0, 1}
    for v in per:
        others = fs.roots.real_roots(fs.roots.response_coefficients(mixed.data.p[1 - v.sequence]))
        near = np.min(np.abs(others - v.root)) <= 1e-3 * abs(v.root)
        assert v.survives == near


def test_output_zero_curves_are_zeros_of_the_final_output():
    model = fs.RecurrentNeuron("tansig", feedback_delays=2)
    prob = fs.Problem(model, fs.make_sequence_data(model, (0.5, 0.5, -0.3), T=40, seed=2))
    pred = V.predict(prob, ranges=((-3, 3), (-3, 3)), center=[0.5, 0.0, 0.0], resolution=120)
    curves = [v for v in pred if v.kind == "output-zero"]
    assert curves
    for v in curves:
        th = np.column_stack([np.full(len(v), 0.5), v.x, v.y])
        a_T = V.final_outputs(prob, th, 0)
        assert np.max(np.abs(a_T)) < 1e-6      # bisected zeros of outputs that reach ~1e10
        np.testing.assert_array_equal(a_T, prob.outputs_at(th)[:, 0])
        assert np.all(prob.unstable(th))


def test_saturation_lines_satisfy_eq_19():
    model = fs.RecurrentNeuron("tansig")
    prob = fs.Problem(model, fs.make_sequence_data(model, (0.5, 0.5), T=60, seed=0))
    sat = [v for v in V.predict(prob, resolution=100) if v.kind == "saturation"]
    assert sat
    d = prob.data
    for v in sat[:10]:
        k, s = v.meta["k"], v.meta["sign"]
        out = np.array([model.simulate([x, y], d)[0] for x, y in zip(v.x, v.y)])
        np.testing.assert_allclose(out[:, k - 2], s, atol=0.02)          # a(k-1) = +-1
        n = v.x * d.p[0, k - 1] + v.y * s
        np.testing.assert_allclose(np.tanh(n), d.t[0, k - 1], atol=1e-12)  # output = target


def test_detect_is_robust_to_inf_and_refine_sharpens():
    prob = _linear(0, T=1500)
    surf = fs.scan.grid(prob, [0.5, 0.5], ranges=((-2, 2), (-1.6, 1.6)), shape=(120, 60),
                        progress=False)
    assert surf.n_nonfinite > 0
    det = V.detect(surf)
    for v in det:
        i = np.searchsorted(surf.y, v.y)
        assert np.all(np.isfinite(surf.values[np.clip(i, 0, 119), np.searchsorted(surf.x, v.x)]))
    prob100 = _linear(0)
    s100 = fs.scan.grid(prob100, [0.5, 0.5], ranges=((-2, 2), (-5, 5)), shape=(101, 60),
                        progress=False)
    root = max((v.root for v in V.predict(prob100) if v.kind == "root"), key=abs)
    rows = [v for v in V.detect(s100) if v.meta["direction"] == "along-x"
            and abs(np.median(v.y) - root) < 0.2]
    assert rows
    fine = V.refine(rows[0], prob100, s100)
    assert np.median(np.abs(rows[0].y - root)) > 1e-4                 # the grid is coarse
    np.testing.assert_allclose(fine.y, root, rtol=1e-8)               # refined to the root


def test_cascade_characterisation():
    model = fs.RecurrentNeuron("tansig")
    prob = fs.Problem(model, fs.make_sequence_data(model, (0.5, 0.5), T=30, seed=3))
    surf = fs.scan.grid(prob, [0.5, 0.5], ranges=((-0.2, 0.2), (3.5, 4.5)), shape=(41, 41),
                        progress=False)
    # the line w1 = 0 with |w2| > 1: a(k) of both signs on either side -> every output flips
    v = V.Valley("detected", np.zeros(41), surf.y, meta={"direction": "along-y"})
    info = V.characterize(prob, v, surf)
    assert isinstance(info, V.ValleyCharacter)
    assert info.kind == "cascade" and info.k0 == 1 and info.flipped_share == 1.0
    assert info.sequence == 0
    with pytest.warns(DeprecationWarning, match=r"\.kind instead of \['kind'\]"):
        assert info["kind"] == "cascade"                 # dict-style access still works
    with pytest.raises(KeyError):
        info["nope"]
    same_side = V.Valley("detected", np.full(41, 0.1), surf.y, meta={"direction": "along-y"})
    none = V.characterize(prob, same_side, surf, offset=0.5)
    assert (none.kind, none.k0, none.sequence, none.flipped_share) == ("none", None, None, 0.0)


def test_figures():
    from fastsurf import plot
    prob = _linear(0)
    surf = fs.scan.grid(prob, [0.5, 0.5], ranges=((-2, 2), (-5, 5)), shape=(64, 64),
                        progress=False)
    fig = plot.surface_with_valleys(surf, V.predict(prob), V.detect(surf))
    assert len(fig.axes[0].lines) >= 3
    profiles = V.cross_sections(prob, lengths=(10, 50, 100), n=200)
    fig4 = plot.cross_sections(profiles)
    assert len(fig4.axes[0].lines) == 3
    assert fig4.axes[0].get_ylabel() == "SSE at w1 = 0.5"
    with pytest.raises(ValueError, match="lengths"):
        V.cross_sections(prob, lengths=(200,))
    with pytest.raises(TypeError, match="valleys.cross_sections"):
        plot.cross_sections(prob)                          # the plot only draws results


def test_bad_input():
    with pytest.raises(TypeError, match="RecurrentNeuron, got FunctionProblem"):
        V.predict(fs.FunctionProblem(lambda x: x @ x))
    mlp = fs.MLP((1, 2, 1))
    with pytest.raises(TypeError, match="RecurrentNeuron, got Problem of MLP"):
        V.predict(fs.Problem(mlp, fs.RegressionData(np.linspace(0, 1, 5), np.zeros(5))))
    model = fs.RecurrentNeuron("purelin", bias=True)
    prob = fs.Problem(model, fs.make_sequence_data(model, (0.5, 0.5, 0.1), T=10))
    with pytest.raises(ValueError, match="bias=False"):
        V.predict(prob)
    second = fs.RecurrentNeuron("purelin", feedback_delays=2)
    p2 = fs.Problem(second, fs.make_sequence_data(second, (0.5, 0.5, 0.1), T=10))
    with pytest.raises(ValueError, match="center is required"):
        V.predict(p2)
    with pytest.raises(ValueError, match="min < max"):
        V.predict(_linear(0, T=10), ranges=((1, -1), (0, 1)))
    surf = fs.scan.Surface(values=np.ones((2, 2)), x=np.arange(2.0), y=np.arange(2.0),
                           kind="grid", origin=np.zeros(2), axes=(0, 1))
    with pytest.raises(ValueError, match="3x3"):
        V.detect(surf)
    assert math.isfinite(V.predict(_linear(0, T=10))[0].x[0])


def test_cross_sections_are_line_profiles_of_truncated_sequences():
    prob = _linear(0)
    profiles = V.cross_sections(prob, w1=0.5, w2_range=(-3, 3), lengths=(10, 100), n=101)
    assert [p.meta["T"] for p in profiles] == [10, 100]
    for prof, T in zip(profiles, (10, 100)):
        assert isinstance(prof, fs.scan.Profile)
        w2 = -3 + 6 * prof.alpha
        d = prob.data
        sub = fs.Problem(prob.model, fs.SequenceData(d.p[:, :T], d.t[:, :T]))
        np.testing.assert_allclose(prof.values, sub.losses(np.column_stack(
            [np.full_like(w2, 0.5), w2])), rtol=1e-12)
    second = fs.RecurrentNeuron("purelin", feedback_delays=2)
    p2 = fs.Problem(second, fs.make_sequence_data(second, (0.5, 0.5, 0.1), T=10))
    with pytest.raises(ValueError, match="first-order"):
        V.cross_sections(p2)


def _setups():
    """(problem, predict keywords) of the set-ups above."""
    tan = fs.RecurrentNeuron("tansig")
    tan2 = fs.RecurrentNeuron("tansig", feedback_delays=2)
    sec = fs.RecurrentNeuron("purelin", feedback_delays=2)
    return [
        (_linear(1), {}),
        (_linear(2, n_seq=3), {}),
        (fs.Problem(tan, fs.make_sequence_data(tan, (0.5, 0.5), T=60, seed=0)),
         {"resolution": 100}),
        (fs.Problem(tan, fs.make_sequence_data(tan, (0.5, 0.5), T=40, n_seq=2, seed=5)),
         {"resolution": 80}),
        (fs.Problem(tan2, fs.make_sequence_data(tan2, (0.5, 0.5, -0.3), T=40, seed=2)),
         {"ranges": ((-3, 3), (-3, 3)), "center": [0.5, 0.0, 0.0], "resolution": 120}),
        (fs.Problem(sec, fs.make_sequence_data(sec, (0.5, 0.5, -0.3), T=60, seed=0)),
         {"ranges": ((-3, 3), (-3, 3)), "center": [0.5, 0.5, -0.3], "resolution": 60}),
    ]


def _same(a, b):
    assert [(v.kind, v.root, v.sequence, v.survives, v.meta) for v in a] == [
        (v.kind, v.root, v.sequence, v.survives, v.meta) for v in b]
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u.x, v.x)
        np.testing.assert_array_equal(u.y, v.y)


def test_predict_composes_the_four_families():
    for prob, kw in _setups():
        linear = prob.model.transfer == "purelin" and prob.model.feedback_delays == 1
        parts = V.predict_input_zero(prob, **kw)
        if linear:
            parts += V.predict_roots(prob, **kw)
        else:
            parts += V.predict_output_zero(prob, **kw)
            parts += V.predict_saturation(prob, **kw)
        _same(V.predict(prob, **kw), parts)
    # each family is empty where its mechanism cannot occur
    tan = _setups()[2][0]
    assert V.predict_roots(tan) == [] and V.predict_saturation(_linear(0)) == []
    assert {v.kind for v in V.predict_saturation(tan, resolution=100)} == {"saturation"}


def test_input_zero_needs_f_of_zero_zero():
    # logsig(0) = 1/2: w1 = 0 does not give a = 0, and there is no valley there
    model = fs.RecurrentNeuron("logsig")
    prob = fs.Problem(model, fs.make_sequence_data(model, (0.5, 0.5), T=30, seed=1))
    assert V.predict_input_zero(prob) == []
    w1 = np.linspace(-0.05, 0.05, 11)
    loss = prob.losses(np.column_stack([w1, np.full_like(w1, 3.0)]))
    assert np.argmin(loss) != 5
    assert len(V.predict_input_zero(_linear(0))) == 2
    a0 = fs.Problem(fs.RecurrentNeuron("purelin"), fs.make_sequence_data(
        fs.RecurrentNeuron("purelin"), (0.5, 0.5), T=30, seed=1, a0=0.3))
    assert V.predict_input_zero(a0) == []


def test_compare_with_two_arguments_measures_in_the_detected_cells():
    prob = _linear(0)
    surf = fs.scan.grid(prob, [0.5, 0.5], ranges=((-2, 2), (-5, 5)), shape=(128, 96),
                        progress=False)
    pred, det = V.predict(prob), V.detect(surf)
    assert det[0].meta["cell"] == [surf.x[1] - surf.x[0], surf.y[1] - surf.y[0]]
    with_surface = V.compare(pred, det, surf)
    without = V.compare(pred, det)
    assert with_surface.units == without.units == "cells"
    assert [(p.kind, p.root, d_, c) for p, _, d_, c in with_surface.matched] == [
        (p.kind, p.root, d_, c) for p, _, d_, c in without.matched]
    assert with_surface.summary() == without.summary()
    # hand-made detected valleys carry no cell size: distances in parameter units
    root = [v for v in pred if v.kind == "root"][0]
    hand = [V.Valley("detected", root.x, root.y + 0.01)]
    cmp = V.compare([root], hand, tol=0.02)
    assert cmp.units == "parameter units" and len(cmp.matched) == 1
    assert cmp.matched[0][2] == pytest.approx(0.01)
    assert "parameter units" in cmp.summary()
    assert V.compare([root], hand, tol=0.005).missed == [root]


def test_valleys_and_comparisons_save_and_load_whole(tmp_path):
    prob = _linear(1)
    surf = fs.scan.grid(prob, [0.5, 0.5], ranges=((-2, 2), (-5, 5)), shape=(96, 96),
                        progress=False)
    pred, det = V.predict(prob), V.detect(surf)
    near = [v for v in pred if v.kind == "near-root"][0]
    back = V.Valley.load(near.save(tmp_path / "v"))
    _same([back], [near])
    cmp = V.compare(pred, det, surf)
    cback = V.Comparison.load(cmp.save(tmp_path / "cmp"))
    assert cback.summary() == cmp.summary() and cback.units == cmp.units
    _same([m[0] for m in cback.matched], [m[0] for m in cmp.matched])
    _same([m[1] for m in cback.matched], [m[1] for m in cmp.matched])
    _same(cback.missed, cmp.missed)
    _same(cback.unexpected, cmp.unexpected)
    assert [m[2:] for m in cback.matched] == [m[2:] for m in cmp.matched]
    char = V.ValleyCharacter("cascade", k0=3, sequence=0, flipped_share=1.0)
    assert V.ValleyCharacter.load(char.save(tmp_path / "c")) == char
    assert repr(near).startswith("Valley(kind='near-root', x=<400 float64")
    with pytest.raises(ValueError, match="Comparison"):
        V.Valley.load(tmp_path / "cmp.npz")


def _scan(prob, n):
    return fs.scan.grid(prob, [0.5, 0.5], ranges=((-2, 2), (-5, 5)), shape=(n, n),
                        progress=False)


def test_root_valley_cut_by_w1_zero_still_matches_at_1024():
    # Horn's Fig. 3 set-up at 1024^2: the root w2 = +1.036 is detected in two pieces (either
    # side of w1 = 0, where a = w1 g(w2) is small everywhere); each covers < 50%
    prob = _linear(0)
    surf = _scan(prob, 1024)
    cmp = V.compare(V.predict(prob), V.detect(surf), surf, problem=prob)
    roots = sorted(p.root for p, *_ in cmp.matched if p.kind == "root")
    np.testing.assert_allclose(roots, [-1.2021077, 1.0364873, 1.1577062], atol=1e-6)
    assert cmp.missed == [] and cmp.verdict in ("agree", "agree with reasons")
    assert all(d <= 1.5 for _, _, d, _ in cmp.matched)
    assert "unexplained" not in cmp.families


def test_tansig_valleys_are_detected_and_every_miss_has_a_measured_reason():
    # README's tansig example found only the global minimum (matched 0 of 55)
    model = fs.RecurrentNeuron("tansig")
    prob = fs.Problem(model, fs.make_sequence_data(model, (0.5, 0.5), T=100, seed=0))
    surf = _scan(prob, 1024)
    pred, det = V.predict(prob), V.detect(surf)
    plain = V.compare(pred, det, surf)
    assert plain.shares()["input-zero"] == (2, 2)
    assert plain.shares()["output-zero"][0] >= 2
    cmp = V.compare(pred, det, surf, problem=prob)
    assert len(cmp.checks) == len(cmp.missed)
    assert len(cmp.families) == len(cmp.unexpected) and "unexplained" not in cmp.families
    # one output-zero branch in the region where a(T) oscillates is a real, grid-visible
    # valley at 5 of 9 checked points that detection does not link into a curve: the verdict
    # says so instead of hiding it
    real = [c for c in cmp.checks if c.verdict == "valley"]
    assert len(real) <= 1 and all(c.kind == "output-zero" for c in real)
    for c in cmp.checks:
        if c.verdict == "shallow":          # real minima the grid cannot show
            assert c.minimum.mean() >= 0.5 and np.median(c.grid_strength[c.minimum]) < 0.01
        elif c.verdict == "not-a-valley":   # no minimum: the loss rises to one side only
            assert c.minimum.mean() < 0.5
    assert f"verdict: {cmp.verdict}" in cmp.summary()


def _naive_depth(prob, theta, axis, span, n=200001):
    """Rise of log10 loss from the lowest point within +-span/100 of theta to each side's
    highest point within +-span along parameter ``axis``, by plain evaluation."""
    t = np.linspace(-span, span, n)
    th = np.repeat(np.asarray(theta, float)[None], n, axis=0)
    th[:, axis] += t
    L = np.log10(np.maximum(prob.losses(th), 1e-300))
    near = np.abs(t) <= span * 1.5 / 4
    i = np.nonzero(near)[0][np.argmin(L[near])]
    return min(L[:i + 1].max(), L[i:].max()) - L[i]


def test_check_measures_depth_and_rejects_a_false_prediction():
    prob = _linear(0)
    surf = _scan(prob, 256)
    dy = surf.y[1] - surf.y[0]
    root = [v for v in V.predict(prob) if v.kind == "root" and v.root < 0][0]
    res = V.check(prob, root, surf, points=3)
    assert res.verdict == "valley" and res.minimum.all()
    assert np.all(np.abs(res.offset) < 1e-3)                 # the floor sits on the root
    for k in range(3):
        naive = _naive_depth(prob, [res.x[k], res.y[k]], 1, 4 * dy)
        assert res.depth[k] == pytest.approx(naive, rel=1e-3)
    # a line in the stable band is no valley: the loss rises to one side only
    fake = V.Valley("root", np.linspace(-1.9, -0.6, 40), np.full(40, -0.5), root=-0.5)
    bad = V.check(prob, fake, surf)
    assert bad.verdict == "not-a-valley" and not bad.minimum.any()
    assert "frozen root" in bad.reason and "|r|^T" in bad.reason
    # the same real valley on a coarse grid: still a minimum, but the cells cannot show it
    coarse = V.check(prob, root, _scan(prob, 40), points=3, prominence=50.0)
    assert coarse.verdict == "shallow" and coarse.minimum.all()
    assert "too shallow for this grid" in coarse.reason
    with pytest.raises(ValueError, match="half_width"):
        V.check(prob, root, surf, tol=2.0, half_width=2.0)
    with pytest.raises(ValueError, match="inside the scan window"):
        V.check(prob, V.Valley("root", np.array([5.0]), np.array([9.0])), surf)
    with pytest.raises(ValueError, match="needs the surface"):
        V.compare([root], V.detect(surf), problem=prob)
