"""Clustering of error cases for error reflection (Gao 2018, *Escape the local minima by error
reflection*, §4.1).

Gao's error reflection trains a general network, collects the cases it gets wrong, splits them
into clusters with ISODATA, trains one error network per cluster and a classifier (gate) that
routes inputs to a network (Gao's Fig. 2). This module provides the clustering step:
:func:`isodata`, Ball & Hall's Iterative Self-Organizing Data Analysis Technique in the
14-step form of Tou & Gonzalez (*Pattern Recognition Principles*, Addison-Wesley 1974,
§3.3.6). Gao does not give his ISODATA parameters.

The steps, as implemented (numbers are Tou & Gonzalez's):

1. Parameters: ``K`` (desired number of clusters), ``theta_N`` (fewest members a cluster may
   keep), ``theta_S`` (standard-deviation threshold for splitting), ``theta_C`` (lumping
   distance), ``L`` (most pairs lumped in one iteration), ``I`` (iterations allowed), and
   ``k_split`` (the split offset gamma_j = k sigma_jmax, 0 < k <= 1). Initial centres: ``init``.
2. Assign every sample to its nearest centre (Euclidean; ties go to the lower index).
3. Discard clusters with fewer than ``theta_N`` members. Their samples are reassigned at once to
   the nearest surviving centre (Tou & Gonzalez leave them for the next step 2; reassigning in
   the same iteration keeps every returned label valid). If every cluster is too small, the
   largest one (lowest index among equals) is kept so that a centre survives.
4. Move each centre to the mean of its members.
5. Average distance D_j of the members of cluster j from its centre.
6. Overall average distance D = (1/N) sum_j N_j D_j.
7. (a) Last iteration: theta_C = 0 and go to 11 (so nothing is lumped). (b) N_c <= K/2: go to 8
   (split). (c) Even iteration or N_c >= 2K: go to 11 (lump). Otherwise go to 8.
8. Standard deviation vector sigma_j of each cluster (population form, 1/N_j).
9. Its largest component sigma_jmax and that axis.
10. Split cluster j when sigma_jmax > theta_S and either (a) D_j > D and N_j > 2(theta_N + 1),
    or (b) N_c <= K/2: z_j is replaced by z_j +- gamma_j e_axis (the two new centres take z_j's
    place in the centre list). Any split ends the iteration (back to 2); otherwise go to 11.
11. Pairwise centre distances D_ij.
12. The ``L`` smallest D_ij below ``theta_C``, ascending (ties by lower (i, j)).
13. Lump those pairs in that order, skipping a pair whose centre was already lumped in this
    iteration: z* = (N_i z_i + N_j z_j) / (N_i + N_j) takes the place of the lower index.
14. Stop after ``I`` iterations. Beyond Tou & Gonzalez, the loop also stops early (``reason``
    ``"converged"``) once two consecutive iterations — one odd, one even, so both the split
    and the lump branch have been tried — changed nothing: no discard, split or lump, and the
    step-4 centres equal the centres the iteration started from. The state is then a fixed
    point and further iterations would repeat it (``stop_early=False`` runs all ``I``).

Why no Numba kernel: one iteration is an N x N_c distance matrix, an ``argmin``, a
``bincount`` and a few grouped sums, all O(N N_c d) work that NumPy already runs in compiled
loops; what remains is the sequential bookkeeping of steps 3, 7, 10 and 13, whose cost is in
the number of clusters (tens), not samples. Error sets are small (the wrong cases of a small
net), so a kernel would add compile time and no measurable speed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._results import Result
from ._validation import as_float_array, as_rng, check_int, check_real

__all__ = ["IsodataIteration", "IsodataResult", "assign_nearest", "isodata"]


@dataclass(repr=False)
class IsodataIteration(Result):
    """What one ISODATA iteration did.

    Attributes
    ----------
    iteration : int
        1-based iteration number (Tou & Gonzalez's parity rules use it).
    n_clusters_start : int
        Clusters entering the iteration (step 2).
    n_discarded : int
        Clusters discarded in step 3 (fewer than ``theta_N`` members).
    branch : str
        ``"split"`` (steps 8-10 tried, and 11-13 when nothing split), ``"lump"`` (steps 11-13
        only) or ``"last"`` (the last iteration: step 7a, no split and no lump).
    n_split : int
        Clusters split in step 10.
    n_lumped : int
        Pairs lumped in step 13.
    n_clusters_end : int
        Clusters leaving the iteration.
    mean_distance : float
        Overall average distance D of step 6.
    moved : bool
        Whether step 4 moved any centre.
    centers_end : ndarray, shape (n_clusters_end, d)
        The centres leaving the iteration (after any split or lump).
    """

    iteration: int
    n_clusters_start: int
    n_discarded: int
    branch: str
    n_split: int
    n_lumped: int
    n_clusters_end: int
    mean_distance: float
    moved: bool
    centers_end: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))

    @property
    def quiet(self) -> bool:
        """True when the iteration changed nothing (no discard, split, lump or move)."""
        return not (self.n_discarded or self.n_split or self.n_lumped or self.moved)


@dataclass(repr=False)
class IsodataResult(Result):
    """Outcome of :func:`isodata`.

    Attributes
    ----------
    labels : ndarray of int, shape (N,)
        Cluster of every sample, in ``0 .. n_clusters - 1``: the last step-2/3 assignment.
    centers : ndarray, shape (n_clusters, d)
        Cluster centres; the means of the samples labelled with them (``d = 1`` for 1-D input).
    sizes : ndarray of int, shape (n_clusters,)
        Members per cluster.
    mean_distances : ndarray, shape (n_clusters,)
        Average member-to-centre distance D_j of each cluster.
    n_iter : int
        Iterations run.
    converged : bool
        True when the run ended at a fixed point (two consecutive iterations changed nothing).
    reason : str
        ``"converged"`` or ``"max_iter"`` (``I`` iterations run without reaching a fixed point).
    history : list of IsodataIteration
        One record per iteration.
    params : dict
        The parameters used (``K``, ``theta_N``, ``theta_S``, ``theta_C``, ``L``, ``I``,
        ``k_split``, ``seed``).
    """

    labels: np.ndarray
    centers: np.ndarray
    sizes: np.ndarray
    mean_distances: np.ndarray
    n_iter: int
    converged: bool
    reason: str
    history: list[IsodataIteration] = field(default_factory=list)
    params: dict = field(default_factory=dict)

    @property
    def n_clusters(self) -> int:
        """Number of clusters found."""
        return int(self.centers.shape[0])

    def predict(self, points) -> np.ndarray:
        """Nearest-centre cluster of new points (step 2 with the final centres).

        Parameters
        ----------
        points : array_like, shape (M, d) or (M,)
            Points with the dimension of the clustered data (1-D input: ``d = 1``).

        Returns
        -------
        ndarray of int, shape (M,)

        Examples
        --------
        >>> import numpy as np
        >>> res = isodata(np.array([0.0, 0.1, 5.0, 5.1]), K=2, theta_C=0.5, I=5)
        >>> res.predict([0.2, 4.9]).tolist() == [res.labels[0], res.labels[2]]
        True
        """
        pts = _as_points("points", points, allow_empty=True)
        if pts.shape[1] != self.centers.shape[1]:
            raise ValueError(f"points must have {self.centers.shape[1]} column(s), "
                             f"got shape {pts.shape}")
        return assign_nearest(pts, self.centers)


def _as_points(name: str, value, allow_empty: bool = False) -> np.ndarray:
    arr = as_float_array(name, value, ndim=(1, 2), allow_empty=allow_empty)
    return arr.reshape(-1, 1) if arr.ndim == 1 else arr


def _sq_dist(points: np.ndarray, centers: np.ndarray) -> np.ndarray:
    diff = points[:, None, :] - centers[None, :, :]
    return np.einsum("nkd,nkd->nk", diff, diff)


def assign_nearest(points, centers) -> np.ndarray:
    """Index of the nearest centre of every point (Euclidean; ties go to the lower index).

    Parameters
    ----------
    points : array_like, shape (N, d) or (N,)
        Points (1-D input is N points of dimension 1).
    centers : array_like, shape (k, d) or (k,)
        At least one centre, same dimension.

    Returns
    -------
    ndarray of int, shape (N,)

    Examples
    --------
    >>> assign_nearest([0.0, 1.2, 2.0], [0.0, 2.0]).tolist()
    [0, 1, 1]
    """
    pts = _as_points("points", points, allow_empty=True)
    ctr = _as_points("centers", centers)
    if ctr.shape[1] != pts.shape[1]:
        raise ValueError(f"centers must have {pts.shape[1]} column(s) like points, "
                         f"got shape {ctr.shape}")
    if pts.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    return np.argmin(_sq_dist(pts, ctr), axis=1).astype(np.int64)


def _means(points: np.ndarray, labels: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    sizes = np.bincount(labels, minlength=k)
    sums = np.zeros((k, points.shape[1]))
    np.add.at(sums, labels, points)
    return sums / sizes[:, None], sizes


def isodata(points, K: int, theta_N: int = 1, theta_S: float = 1.0, theta_C: float = 1.0,
            L: int = 2, I: int = 20, *, k_split: float = 0.5, init=None, seed=0,
            stop_early: bool = True) -> IsodataResult:
    """Cluster samples with ISODATA (Ball & Hall; 14 steps of Tou & Gonzalez 1974).

    Error reflection clusters the error cases of a general network with ISODATA before training
    one error network per cluster (Gao 2018, §4.1). The steps and the two departures from Tou &
    Gonzalez (immediate reassignment of discarded clusters' samples; early stop at a fixed
    point) are listed in the module docstring. The distance thresholds are in the units of
    ``points``: standardise the data first if its axes have different scales.

    Parameters
    ----------
    points : array_like, shape (N, d) or (N,)
        Samples (1-D input: N samples of dimension 1). Finite.
    K : int
        Desired number of clusters (>= 1). Steers splitting (always tried while
        N_c <= K/2) and lumping (only lumping while N_c >= 2K).
    theta_N : int, default 1
        A cluster with fewer members is discarded (1 <= theta_N <= N). The default discards
        only empty clusters.
    theta_S : float, default 1.0
        A cluster may split when the standard deviation along some axis exceeds it (>= 0).
    theta_C : float, default 1.0
        Two centres closer than this may be lumped (>= 0; 0 never lumps).
    L : int, default 2
        Most pairs lumped per iteration (>= 0).
    I : int, default 20
        Iterations allowed (>= 1).
    k_split : float, default 0.5
        Split offset factor k of gamma_j = k sigma_jmax, 0 < k <= 1.
    init : None, int or array_like, optional
        Initial centres: None draws ``K`` distinct samples at random (fewer if N < K), an int
        draws that many, an array of shape (m, d) gives them.
    seed : int, numpy.random.Generator or None, default 0
        Randomness of the initial draw; the rest is deterministic. The same seed gives the same
        result.
    stop_early : bool, default True
        Stop at a fixed point instead of running all ``I`` iterations.

    Returns
    -------
    IsodataResult

    Raises
    ------
    TypeError, ValueError
        Naming the offending argument.

    Examples
    --------
    Three tight groups on a line, started from two centres: the wide first cluster splits.

    >>> import numpy as np
    >>> x = np.array([0.0, 0.1, 0.2, 5.0, 5.1, 5.2, 10.0, 10.1, 10.2])
    >>> res = isodata(x, K=3, theta_S=0.5, theta_C=1.0, init=[[0.0], [10.0]])
    >>> res.n_clusters, res.converged
    (3, True)
    >>> np.round(np.sort(res.centers[:, 0]), 6).tolist()
    [0.1, 5.1, 10.1]
    """
    pts = _as_points("points", points)
    n, d = pts.shape
    K = check_int("K", K, minimum=1)
    theta_N = check_int("theta_N", theta_N, minimum=1, maximum=n)
    theta_S = check_real("theta_S", theta_S, minimum=0.0)
    theta_C = check_real("theta_C", theta_C, minimum=0.0)
    L = check_int("L", L, minimum=0)
    I = check_int("I", I, minimum=1)
    k_split = check_real("k_split", k_split, minimum=0.0, maximum=1.0, strict_min=True)
    if not isinstance(stop_early, (bool, np.bool_)):
        raise TypeError(f"stop_early must be a bool, got {type(stop_early).__name__}")
    rng = as_rng(seed)
    if init is None or (isinstance(init, (int, np.integer)) and not isinstance(init, bool)):
        m = K if init is None else check_int("init", init, minimum=1)
        m = min(m, n)
        centers = pts[np.sort(rng.choice(n, size=m, replace=False))].copy()
    elif isinstance(init, bool):
        raise TypeError("init must be None, an int or an array of centres, got bool")
    else:
        centers = _as_points("init", init).copy()
        if centers.shape[1] != d:
            raise ValueError(f"init must have {d} column(s) like points, got shape "
                             f"{centers.shape}")

    history: list[IsodataIteration] = []
    converged = False
    labels = np.zeros(n, dtype=np.int64)
    sizes = np.zeros(0, dtype=np.int64)
    dj = np.zeros(0)
    for it in range(1, I + 1):
        start = centers
        nc_start = centers.shape[0]
        # Step 2.
        labels = assign_nearest(pts, centers)
        # Step 3.
        sizes = np.bincount(labels, minlength=centers.shape[0])
        keep = sizes >= theta_N
        if not keep.any():
            keep[int(np.argmax(sizes))] = True
        n_discarded = int(np.count_nonzero(~keep))
        if n_discarded:
            centers = centers[keep]
            labels = assign_nearest(pts, centers)
        # Step 4.
        centers, sizes = _means(pts, labels, centers.shape[0])
        moved = bool(n_discarded) or not np.array_equal(centers, start)
        # Steps 5 and 6.
        dist = np.sqrt(np.einsum("nd,nd->n", pts - centers[labels], pts - centers[labels]))
        dj = np.bincount(labels, weights=dist, minlength=centers.shape[0]) / sizes
        dbar = float(dist.mean())
        nc = centers.shape[0]
        n_split = n_lumped = 0
        # Step 7.
        if it == I:
            branch = "last"
        elif nc <= K / 2:
            branch = "split"
        elif it % 2 == 0 or nc >= 2 * K:
            branch = "lump"
        else:
            branch = "split"
        if branch == "split":
            # Steps 8-10.
            diff = pts - centers[labels]
            var = np.zeros((nc, d))
            np.add.at(var, labels, diff * diff)
            sigma = np.sqrt(var / sizes[:, None])
            axis = np.argmax(sigma, axis=1)
            smax = sigma[np.arange(nc), axis]
            few = nc <= K / 2
            split = (smax > theta_S) & (((dj > dbar) & (sizes > 2 * (theta_N + 1))) | few)
            n_split = int(np.count_nonzero(split))
            if n_split:
                new = []
                for j in range(nc):
                    if split[j]:
                        step = np.zeros(d)
                        step[axis[j]] = k_split * smax[j]
                        new.extend([centers[j] + step, centers[j] - step])
                    else:
                        new.append(centers[j])
                centers = np.array(new)
        if branch in ("split", "lump") and not n_split and L > 0 and theta_C > 0 and nc > 1:
            # Steps 11-13.
            iu, ju = np.triu_indices(nc, k=1)
            dij = np.sqrt(np.sum((centers[iu] - centers[ju]) ** 2, axis=1))
            order = np.argsort(dij, kind="stable")
            order = order[dij[order] < theta_C][:L]
            used = np.zeros(nc, dtype=bool)
            merged = centers.copy()
            alive = np.ones(nc, dtype=bool)
            for p in order:
                i, j = int(iu[p]), int(ju[p])
                if used[i] or used[j]:
                    continue
                used[i] = used[j] = True
                merged[i] = (sizes[i] * centers[i] + sizes[j] * centers[j]) / (sizes[i]
                                                                               + sizes[j])
                alive[j] = False
                n_lumped += 1
            if n_lumped:
                centers = merged[alive]
        history.append(IsodataIteration(
            iteration=it, n_clusters_start=nc_start, n_discarded=n_discarded, branch=branch,
            n_split=n_split, n_lumped=n_lumped, n_clusters_end=centers.shape[0],
            mean_distance=dbar, moved=moved, centers_end=centers.copy()))
        if stop_early and len(history) >= 2 and history[-1].quiet and history[-2].quiet:
            converged = True
            break
    if not converged and len(history) >= 2 and history[-1].quiet and history[-2].quiet:
        converged = True
    # The last iteration ends after steps 4-6 (or an early stop after a quiet one), so
    # ``centers`` are the means of ``labels``.
    return IsodataResult(
        labels=labels, centers=centers, sizes=sizes.astype(np.int64), mean_distances=dj,
        n_iter=len(history), converged=converged,
        reason="converged" if converged else "max_iter", history=history,
        params={"K": K, "theta_N": theta_N, "theta_S": theta_S, "theta_C": theta_C, "L": L,
                "I": I, "k_split": k_split, "seed": seed if not isinstance(
                    seed, np.random.Generator) else "Generator"})
