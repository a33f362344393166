"""ISODATA (Tou & Gonzalez 1974, 14 steps) for error reflection (Gao 2018, §4.1).

Checks use data with known structure and independent references (a hand-computed adjusted Rand
index, ``scipy.cluster.vq.kmeans2``, NumPy means and standard deviations).
"""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from scipy.cluster.vq import kmeans2

from fastsurf.reflect import IsodataResult, assign_nearest, isodata


def adjusted_rand(a, b) -> float:
    """Hubert & Arabie's adjusted Rand index from the contingency table."""
    a, b = np.asarray(a), np.asarray(b)
    _, ai = np.unique(a, return_inverse=True)
    _, bi = np.unique(b, return_inverse=True)
    table = np.zeros((ai.max() + 1, bi.max() + 1))
    np.add.at(table, (ai, bi), 1)

    def c2(v):
        return (v * (v - 1) / 2).sum()

    n = len(a)
    index, rows, cols = c2(table), c2(table.sum(1)), c2(table.sum(0))
    expected = rows * cols / (n * (n - 1) / 2)
    return float((index - expected) / ((rows + cols) / 2 - expected))


def blobs(seed=1, n=60, sigma=0.5):
    rng = np.random.default_rng(seed)
    means = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    pts = np.concatenate([m + sigma * rng.standard_normal((n, 2)) for m in means])
    return pts, np.repeat(np.arange(3), n), means


# --- known clusters ----------------------------------------------------------------------------
@pytest.mark.parametrize("K, init", [(2, 2), (6, None), (8, None), (3, 1)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_recovers_three_blobs_from_a_wrong_start(K, init, seed):
    pts, truth, means = blobs()
    res = isodata(pts, K=K, theta_N=5, theta_S=1.5, theta_C=3.0, L=2, I=40, init=init,
                  seed=seed)
    assert res.n_clusters == 3
    assert res.converged and res.reason == "converged" and res.n_iter < 40
    assert adjusted_rand(res.labels, truth) == 1.0
    # Centres are the blob means (in some order) and the means of their members.
    order = np.argsort(res.centers[:, 0] * 100 + res.centers[:, 1])
    np.testing.assert_allclose(res.centers[order][[0, 2, 1]], means, atol=0.2)
    for j in range(3):
        np.testing.assert_allclose(res.centers[j], pts[res.labels == j].mean(axis=0))
        assert res.sizes[j] == 60
    assert res.sizes.sum() == len(pts)


def test_agrees_with_scipy_kmeans2():
    pts, truth, _ = blobs(seed=5)
    _, km = kmeans2(pts, 3, minit="++", seed=np.random.default_rng(0))
    assert adjusted_rand(km, truth) == 1.0
    res = isodata(pts, K=5, theta_N=5, theta_S=1.5, theta_C=3.0, I=40, seed=3)
    assert adjusted_rand(res.labels, km) == 1.0


def test_predict_routes_new_points_to_their_blob():
    pts, truth, means = blobs()
    res = isodata(pts, K=3, theta_N=5, theta_S=1.5, theta_C=3.0, I=40)
    got = res.predict(means + 0.1)
    want = [res.labels[truth == k][0] for k in range(3)]
    assert got.tolist() == want
    with pytest.raises(ValueError, match="points"):
        res.predict(np.zeros((2, 3)))


# --- the individual steps -------------------------------------------------------------------
def test_elongated_cluster_splits_along_its_long_axis():
    rng = np.random.default_rng(7)
    pts = np.column_stack([5.0 * rng.standard_normal(400), 0.3 * rng.standard_normal(400)])
    k = 0.7
    res = isodata(pts, K=6, theta_N=5, theta_S=1.0, theta_C=0.5, I=10, k_split=k,
                  init=pts.mean(axis=0, keepdims=True))
    first = res.history[0]
    assert first.branch == "split" and first.n_split == 1 and first.n_clusters_end == 2
    # Step 10: z +- k sigma_max e_x, sigma the population std of the one cluster.
    z, s = pts.mean(axis=0), pts.std(axis=0)
    assert s[0] > s[1]
    np.testing.assert_allclose(first.centers_end, [z + [k * s[0], 0], z - [k * s[0], 0]])
    assert res.n_clusters >= 3
    assert np.ptp(res.centers[:, 0]) > 10 * np.ptp(res.centers[:, 1])


def test_no_split_when_sigma_below_theta_S():
    rng = np.random.default_rng(7)
    pts = np.column_stack([5.0 * rng.standard_normal(400), 0.3 * rng.standard_normal(400)])
    res = isodata(pts, K=6, theta_N=5, theta_S=10.0, theta_C=0.5, I=10,
                  init=pts.mean(axis=0, keepdims=True))
    assert res.n_clusters == 1 and all(h.n_split == 0 for h in res.history)


def test_close_centres_lump_with_large_theta_C():
    rng = np.random.default_rng(3)
    groups = [np.array([0.0, 0.0]), np.array([0.3, 0.0]), np.array([8.0, 8.0])]
    sizes = [40, 20, 40]
    pts = np.concatenate([g + 0.05 * rng.standard_normal((n, 2)) for g, n in zip(groups, sizes)])
    init = np.array([pts[:40].mean(0), pts[40:60].mean(0), pts[60:].mean(0)])
    kept = isodata(pts, K=3, theta_N=1, theta_S=1.0, theta_C=0.1, I=10, init=init)
    assert kept.n_clusters == 3
    res = isodata(pts, K=3, theta_N=1, theta_S=1.0, theta_C=1.0, I=10, init=init)
    first = res.history[0]
    assert first.branch == "split" and first.n_split == 0 and first.n_lumped == 1
    # Step 13: the size-weighted mean of the two centres, i.e. the mean of the union.
    np.testing.assert_allclose(first.centers_end[0], pts[:60].mean(axis=0))
    assert res.n_clusters == 2
    assert adjusted_rand(res.labels, np.repeat([0, 0, 1], sizes)) == 1.0


def test_a_centre_is_lumped_once_per_iteration_and_at_most_L_pairs():
    rng = np.random.default_rng(4)
    pts = np.concatenate([c + 0.01 * rng.standard_normal(10) for c in (0.0, 1.0, 2.0)])
    init = np.array([[0.0], [1.0], [2.0]])
    res = isodata(pts, K=3, theta_S=1.0, theta_C=1.5, L=3, I=2, init=init)
    assert res.history[0].n_lumped == 1  # (0, 1) lumps; (1, 2) and (0, 2) reuse a centre
    five = np.concatenate([c + 0.01 * rng.standard_normal(10) for c in (0, 1, 10, 11, 20)])
    init5 = np.array([[0.0], [1.0], [10.0], [11.0], [20.0]])
    one = isodata(five, K=5, theta_S=1.0, theta_C=1.5, L=1, I=2, init=init5)
    two = isodata(five, K=5, theta_S=1.0, theta_C=1.5, L=2, I=2, init=init5)
    assert one.history[0].n_lumped == 1 and one.n_clusters == 4
    assert two.history[0].n_lumped == 2 and two.n_clusters == 3


def test_small_cluster_is_discarded_and_its_points_reassigned():
    rng = np.random.default_rng(2)
    a = rng.standard_normal((50, 2)) * 0.3
    b = rng.standard_normal((50, 2)) * 0.3 + [6.0, 0.0]
    tiny = np.array([[3.6, 2.0], [3.7, 2.1], [3.5, 1.9]])
    pts = np.concatenate([a, b, tiny])
    init = np.array([a.mean(0), b.mean(0), tiny.mean(0)])
    res = isodata(pts, K=3, theta_N=5, theta_S=100.0, theta_C=0.5, I=10, init=init)
    assert res.history[0].n_discarded == 1
    assert res.n_clusters == 2 and res.sizes.sum() == len(pts)
    # The tiny group joins whichever big cluster's (pre-update) centre is nearer.
    near = np.argmin(((tiny[:, None] - init[None, :2]) ** 2).sum(-1), axis=1)
    label_of = [res.labels[0], res.labels[50]]
    assert res.labels[100:].tolist() == [label_of[j] for j in near]


def test_all_clusters_too_small_keeps_the_largest():
    pts = np.array([0.0, 0.1, 0.2, 0.3, 5.0, 5.1])
    res = isodata(pts, K=2, theta_N=5, theta_S=10.0, theta_C=0.0, I=3,
                  init=[[0.0], [5.0]])
    assert res.history[0].n_discarded == 1
    assert res.n_clusters == 1 and res.sizes.tolist() == [6]
    np.testing.assert_allclose(res.centers, [[pts.mean()]])


def test_branch_follows_step_7():
    pts, _, _ = blobs()
    res = isodata(pts, K=3, theta_N=5, theta_S=1.5, theta_C=3.0, I=6, init=3, seed=0,
                  stop_early=False)
    assert res.n_iter == 6 and res.history[-1].branch == "last"
    for h in res.history[:-1]:
        nc = h.n_clusters_start - h.n_discarded
        if nc <= 3 / 2:
            assert h.branch == "split"
        elif h.iteration % 2 == 0 or nc >= 6:
            assert h.branch == "lump"
        else:
            assert h.branch == "split"
    assert {h.branch for h in res.history[:-1]} == {"split", "lump"}


def test_max_iter_reason():
    # Iteration 1 splits the one cluster and iteration 2 moves the new centres, so three
    # iterations cannot end with two quiet ones.
    rng = np.random.default_rng(7)
    pts = np.column_stack([5.0 * rng.standard_normal(400), 0.3 * rng.standard_normal(400)])
    res = isodata(pts, K=6, theta_N=5, theta_S=1.0, theta_C=0.5, I=3,
                  init=pts.mean(axis=0, keepdims=True))
    assert res.n_iter == 3 and res.reason == "max_iter" and not res.converged
    assert res.history[0].n_split == 1 and res.history[1].moved
    assert res.history[-1].branch == "last" and res.history[-1].n_lumped == 0
    assert res.history[-1].n_split == 0
    for j in range(res.n_clusters):
        np.testing.assert_allclose(res.centers[j], pts[res.labels == j].mean(axis=0))


def test_stop_early_does_not_change_the_answer():
    pts, _, _ = blobs()
    kw = dict(K=6, theta_N=5, theta_S=1.5, theta_C=3.0, I=30, seed=4)
    early = isodata(pts, **kw)
    full = isodata(pts, **kw, stop_early=False)
    assert early.n_iter < full.n_iter == 30 and full.converged
    np.testing.assert_array_equal(early.labels, full.labels)
    np.testing.assert_allclose(early.centers, full.centers)


def test_one_dimensional_input():
    x = np.array([0.0, 0.2, 0.1, 7.0, 7.2, 7.1])
    res = isodata(x, K=2, theta_S=0.5, theta_C=1.0, init=1)
    assert res.centers.shape == (2, 1)
    assert adjusted_rand(res.labels, [0, 0, 0, 1, 1, 1]) == 1.0


def test_gao_toy_error_cases_form_one_cluster():
    # The error cases of the floor-ReLU net stuck at b in (-1, 0] are x = 4 and x = 4.5.
    res = isodata([4.0, 4.5], K=2, theta_S=1.0, theta_C=1.0, I=5)
    assert res.n_clusters == 1 and res.labels.tolist() == [0, 0]


# --- determinism and validation ------------------------------------------------------------------
def test_same_seed_same_result():
    pts, _, _ = blobs(seed=9)
    kw = dict(K=7, theta_N=3, theta_S=1.2, theta_C=2.0, L=3, I=25)
    a, b = isodata(pts, **kw, seed=11), isodata(pts, **kw, seed=11)
    assert isinstance(a, IsodataResult)
    np.testing.assert_array_equal(a.labels, b.labels)
    np.testing.assert_array_equal(a.centers, b.centers)
    assert [(h.branch, h.n_split, h.n_lumped, h.n_discarded) for h in a.history] == \
        [(h.branch, h.n_split, h.n_lumped, h.n_discarded) for h in b.history]
    c = isodata(pts, **kw, seed=np.random.default_rng(11))
    np.testing.assert_array_equal(a.labels, c.labels)


def test_assign_nearest_ties_go_to_lower_index():
    assert assign_nearest([1.0], [[0.0], [2.0]]).tolist() == [0]
    with pytest.raises(ValueError, match="centers"):
        assign_nearest(np.zeros((3, 2)), np.zeros((2, 3)))


@pytest.mark.parametrize("kwargs, exc, name", [
    (dict(K=0), ValueError, "K"),
    (dict(K=2.5), TypeError, "K"),
    (dict(theta_N=0), ValueError, "theta_N"),
    (dict(theta_N=100), ValueError, "theta_N"),
    (dict(theta_N=True), TypeError, "theta_N"),
    (dict(theta_S=-1.0), ValueError, "theta_S"),
    (dict(theta_C=float("nan")), ValueError, "theta_C"),
    (dict(L=-1), ValueError, "L"),
    (dict(I=0), ValueError, "I"),
    (dict(k_split=0.0), ValueError, "k_split"),
    (dict(k_split=1.5), ValueError, "k_split"),
    (dict(init=np.zeros((2, 3))), ValueError, "init"),
    (dict(init=0), ValueError, "init"),
    (dict(init=True), TypeError, "init"),
    (dict(seed="x"), TypeError, "seed"),
    (dict(stop_early=1), TypeError, "stop_early"),
])
def test_validation_names_the_argument(kwargs, exc, name):
    pts = np.random.default_rng(0).standard_normal((10, 2))
    kw = dict(K=2) | kwargs
    with pytest.raises(exc, match=name):
        isodata(pts, **kw)


@pytest.mark.parametrize("points, exc", [
    (np.zeros((2, 2, 2)), ValueError), ([[0.0, np.nan]], ValueError), ("abc", TypeError),
    (np.zeros((0, 2)), ValueError)])
def test_validation_of_points(points, exc):
    with pytest.raises(exc, match="points"):
        isodata(points, K=2)


def test_docstring_examples_run():
    import fastsurf.reflect as mod

    res = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert res.attempted > 0 and res.failed == 0
