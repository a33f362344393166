"""Plateaus of piecewise-constant losses and Gao's floor-ReLU toy (Gao 2018, §2, Fig. 1).

Reference values come from an independent exact evaluation with ``fractions.Fraction`` and from
the paper's claims, never from the code under test.
"""

from __future__ import annotations

import doctest
import math
from fractions import Fraction

import numpy as np
import pytest

from fastsurf.plateaus import FloorReluToy, floor_relu_toy, plateaus

X = [Fraction(v) for v in (-5, -4, -3, -2, -1, 0, 1, 4)] + [Fraction(9, 2)]
T = [0, 0, 0, 0, 0, 0, 1, 1, 1]
LO, HI = -6.0, 6.0


def naive_model(b: Fraction) -> list[int]:
    return [max(math.floor(x - b), 0) for x in X]


def naive_loss(b, kind: str) -> Fraction:
    y = naive_model(Fraction(b))
    if kind == "zero_one":
        err = [int(yi != ti) for yi, ti in zip(y, T)]
    elif kind == "misclassified":
        err = [int((yi >= 1) != (ti == 1)) for yi, ti in zip(y, T)]
    else:
        err = [(yi - ti) ** 2 for yi, ti in zip(y, T)]
    return Fraction(sum(err), len(err))


def dyadic_grid(lo: float, hi: float, step: Fraction = Fraction(1, 64)) -> list[Fraction]:
    n = int((Fraction(hi) - Fraction(lo)) / step)
    return [Fraction(lo) + k * step for k in range(n + 1)]


def naive_runs(kind: str):
    """Plateaus from the dense dyadic grid (which holds every breakpoint): (values, minima)."""
    grid = dyadic_grid(LO, HI)
    vals = [naive_loss(b, kind) for b in grid]
    runs = [vals[0]]
    for v in vals[1:]:
        if v != runs[-1]:
            runs.append(v)
    local = [i for i, v in enumerate(runs)
             if all(runs[j] > v for j in (i - 1, i + 1) if 0 <= j < len(runs))]
    return runs, local


@pytest.fixture(scope="module")
def toy() -> FloorReluToy:
    return floor_relu_toy()


# --- the toy's data, model and breakpoints -----------------------------------------------------
def test_toy_data(toy):
    assert toy.x.tolist() == [float(x) for x in X]
    assert toy.t.tolist() == T
    assert not toy.x.flags.writeable


def test_model_matches_exact_floor_everywhere_on_grid(toy):
    grid = dyadic_grid(LO, HI, Fraction(1, 32))
    got = toy.model(np.array([float(b) for b in grid]))
    want = np.array([naive_model(b) for b in grid], dtype=float)
    np.testing.assert_array_equal(got, want)


def test_model_exact_one_ulp_from_breakpoints(toy):
    # 1 - b rounds to 2.0 for b = nextafter(-1, 0); the real floor is 1.
    for c in (-1.0, 0.0, 2.5, 3.0, -4.5):
        for b in (np.nextafter(c, -np.inf), c, np.nextafter(c, np.inf)):
            assert toy.model(b).tolist() == naive_model(Fraction(float(b))), b


def test_breakpoints_are_exactly_the_changes(toy):
    bp = toy.breakpoints(LO, HI)
    want = sorted({float(x - m) for x in X for m in range(1, 20) if LO <= x - m <= HI})
    assert bp.tolist() == want
    eps = Fraction(1, 8)  # breakpoints are at least 1/2 apart
    for c in bp:
        c = Fraction(float(c))
        assert naive_model(c) != naive_model(c + eps)  # value at c is the left plateau's
        assert naive_model(c) == naive_model(c - eps)
    # m = 0 (b = x_i) is not a change for x_i that is no other x_j - m.
    for x in (Fraction(1), Fraction(4), Fraction(9, 2)):
        if float(x) in want:
            continue
        assert naive_model(x - eps) == naive_model(x + eps)


def test_breakpoints_validation(toy):
    with pytest.raises(ValueError, match="hi"):
        toy.breakpoints(1.0, 1.0)
    with pytest.raises(TypeError, match="lo"):
        toy.breakpoints("a", 1.0)
    with pytest.raises(ValueError, match="kind"):
        toy.loss(0.0, "hinge")


# --- Fig. 1: the paper's claims ---------------------------------------------------------------
def test_zero_one_local_and_global_plateaus_match_the_paper(toy):
    res = toy.plateaus("zero_one", LO, HI)
    assert res.exact
    local = [p for p in res.local_minima if not p.global_min]
    assert len(local) == 1
    (p,) = local
    assert (p.lo, p.hi, p.lo_closed, p.hi_closed) == (-1.0, 0.0, False, True)
    assert p.value == pytest.approx(2 / 9, abs=1e-15)
    (g,) = res.global_minima
    assert (g.lo, g.hi, g.lo_closed, g.hi_closed) == (2.5, 3.0, False, True)
    assert g.value == pytest.approx(1 / 9, abs=1e-15) and g.local_min
    # The text's "b in (-1, 0)": the wrong cases there are exactly x = 4 and x = 4.5.
    wrong = toy.x[toy.model(-0.5) != toy.t]
    assert wrong.tolist() == [4.0, 4.5]


def test_mse_is_a_staircase_with_only_the_global_minimum(toy):
    res = toy.plateaus("mse", LO, HI)
    assert len(res.local_minima) == 1
    (g,) = res.local_minima
    assert g.global_min
    assert (g.lo, g.hi, g.lo_closed, g.hi_closed) == (2.5, 3.0, False, True)
    assert g.value == float(naive_loss(Fraction(11, 4), "mse")) == pytest.approx(1 / 9)
    vals = res.values
    k = res.plateaus.index(g)
    assert np.all(np.diff(vals[: k + 1]) < 0) and np.all(np.diff(vals[k:]) > 0)


def test_misclassification_reading_has_no_spurious_minimum(toy):
    # Thresholding the output (class 1 iff f_b(x) >= 1/2) gives a single well at (-1, 0],
    # so Fig. 1's local minimum needs the exact-match 0-1 loss.
    res = toy.plateaus("misclassified", LO, HI)
    assert len(res.local_minima) == 1
    (g,) = res.local_minima
    assert g.global_min and g.value == 0.0
    assert (g.lo, g.hi, g.lo_closed, g.hi_closed) == (-1.0, 0.0, False, True)


def test_error_reflection_fixes_the_toy(toy):
    # Gao's stated two-network solution (b = 0 for x <= 1, b = 4 for x >= 1) misses both error
    # cases: floor(max(4 - 4, 0)) = floor(max(4.5 - 4, 0)) = 0.
    err = FloorReluToy(x=np.array([4.0, 4.5]), t=np.array([1.0, 1.0]))
    assert err.model(4.0).tolist() == [0.0, 0.0]
    # An error net trained on the error cases alone reaches zero loss on (2.5, 3].
    res = err.plateaus("zero_one", LO, HI)
    (g,) = res.global_minima
    assert (g.lo, g.hi, g.value) == (2.5, 3.0, 0.0)
    routed = np.where(toy.x <= 1, toy.model(0.0), toy.model(3.0))
    assert np.array_equal(routed, toy.t)


# --- exactness against brute force -------------------------------------------------------------
@pytest.mark.parametrize("kind", ["zero_one", "misclassified", "mse"])
def test_plateaus_against_dense_exact_evaluation(toy, kind):
    res = toy.plateaus(kind, LO, HI)
    runs, local = naive_runs(kind)
    assert [Fraction(v) for v in res.values] == [Fraction(float(r)) for r in runs]
    assert [i for i, p in enumerate(res) if p.local_min] == local
    # Every grid point (all breakpoints among them) lies in exactly one plateau with its value.
    for b in dyadic_grid(LO, HI, Fraction(1, 128)):
        hits = [p for p in res if float(b) in p]
        assert len(hits) == 1, b
        assert hits[0].value == float(naive_loss(b, kind)), b


@pytest.mark.parametrize("kind", ["zero_one", "mse"])
def test_plateaus_tile_the_domain_with_left_open_ends(toy, kind):
    res = toy.plateaus(kind, LO, HI)
    first = res[0]
    # b = -6 = -5 - 1 is a breakpoint; the toy's plateaus are (c, c'] so lo is a lone point.
    assert (first.lo, first.hi, first.lo_closed, first.hi_closed) == (LO, LO, True, True)
    for p, q in zip(res.plateaus[1:], res.plateaus[2:]):
        assert p.hi == q.lo and p.hi_closed and not q.lo_closed
    for p in res.plateaus[1:]:
        assert not p.lo_closed and p.hi_closed
    assert res[-1].hi == HI
    assert set(p.hi for p in res.plateaus[1:-1]) <= set(toy.breakpoints(LO, HI).tolist())


def test_sampled_mode_agrees_with_exact_mode(toy):
    f = toy.loss
    exact = plateaus(f, LO, HI, breakpoints=toy.breakpoints(LO, HI))
    sampled = plateaus(f, LO, HI, n_grid=257)
    assert not sampled.exact
    assert sampled.values.tolist() == exact.values.tolist()
    for e, s in zip(exact.plateaus[1:], sampled.plateaus[1:]):
        # Bisection down to adjacent doubles: the closed end is hit, the open end is one ulp in.
        assert s.hi == e.hi
        assert s.lo == np.nextafter(e.lo, np.inf)
        assert (s.local_min, s.global_min) == (e.local_min, e.global_min)


# --- plateaus() on generic functions ------------------------------------------------------------
def test_isolated_point_is_its_own_plateau():
    res = plateaus(lambda b: 0.0 if b == 0.5 else 1.0, 0.0, 1.0, breakpoints=[0.5])
    assert [(p.lo, p.hi, p.lo_closed, p.hi_closed, p.value) for p in res] == [
        (0.0, 0.5, True, False, 1.0), (0.5, 0.5, True, True, 0.0), (0.5, 1.0, False, True, 1.0)]
    assert res[1].local_min and res[1].global_min
    assert 0.5 in res[1] and 0.5 not in res[0]


def test_redundant_breakpoints_are_merged_and_outside_ones_ignored():
    res = plateaus(lambda b: float(b >= 1.0), 0.0, 2.0, breakpoints=[-3.0, 0.25, 1.0, 1.5, 7.0])
    assert [(p.lo, p.hi, p.lo_closed, p.hi_closed) for p in res] == [
        (0.0, 1.0, True, False), (1.0, 2.0, True, True)]
    assert res.breakpoints.tolist() == [0.25, 1.0, 1.5]


def test_missing_breakpoint_is_reported():
    with pytest.raises(ValueError, match="breakpoint is missing"):
        plateaus(lambda b: float(b > 0.3), 0.0, 1.0, breakpoints=[0.9])


def test_edge_minima_switch():
    f = math.floor
    with_edges = plateaus(f, 0.0, 3.0, breakpoints=[1.0, 2.0])
    assert with_edges[0].local_min and with_edges[0].global_min
    no_edges = plateaus(f, 0.0, 3.0, breakpoints=[1.0, 2.0], edge_minima=False)
    assert not no_edges[0].local_min and no_edges[0].global_min


def test_atol_merges_close_values():
    f = lambda b: 1.0 if b < 0.5 else 1.0 + 1e-12  # noqa: E731
    assert len(plateaus(f, 0.0, 1.0, breakpoints=[0.5])) == 2
    assert len(plateaus(f, 0.0, 1.0, breakpoints=[0.5], atol=1e-9)) == 1


def test_plateaus_validation():
    with pytest.raises(TypeError, match="f must be callable"):
        plateaus(1.0, 0.0, 1.0)
    with pytest.raises(ValueError, match="hi must be > lo"):
        plateaus(math.floor, 1.0, 0.0)
    with pytest.raises(ValueError, match="atol"):
        plateaus(math.floor, 0.0, 1.0, atol=-1.0)
    with pytest.raises(ValueError, match="n_grid"):
        plateaus(math.floor, 0.0, 1.0, n_grid=1)
    with pytest.raises(ValueError, match="breakpoints"):
        plateaus(math.floor, 0.0, 1.0, breakpoints=[[0.5]])
    with pytest.raises(ValueError, match="NaN"):
        plateaus(lambda b: float("nan"), 0.0, 1.0)
    with pytest.raises(TypeError, match="edge_minima"):
        plateaus(math.floor, 0.0, 1.0, edge_minima="yes")


def test_docstring_examples_run():
    import fastsurf.plateaus as mod

    res = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert res.attempted > 0 and res.failed == 0
