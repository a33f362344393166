"""client= scans on a Dask LocalCluster: the same bits as a local scan; with store= an interrupted
distributed scan resumes."""

import numpy as np
import pytest
from distributed import Client, LocalCluster

import fastsurf as fs
from fastsurf import _tiles, scan
from tests.test_scan import _problem
from tests.test_store import GRID, _counting


@pytest.fixture(scope="module")
def client():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=":0") as cluster, Client(cluster) as c:
        yield c


def test_grid_and_plane_on_a_cluster_equal_the_local_scan(client):
    prob, _ = _problem("tansig", 2, (0,), True)
    args = {**GRID, "center": [0.3, -0.2, 0.1, 0.05], "axes": (0, 2), "shape": (1100, 40)}
    local = scan.grid(prob, **args)
    remote = scan.grid(prob, **args, client=client, tile_rows=256)
    assert np.array_equal(remote.values, local.values)
    assert remote.meta["tiles"] == remote.meta["tiles_computed"] == 5
    rng = np.random.default_rng(4)
    mlp = fs.Problem(fs.MLP((1, 3, 1), activation="tanh"),
                     fs.RegressionData(rng.standard_normal(9), rng.standard_normal(9)))
    o, d1, d2 = rng.standard_normal((3, mlp.n_params))
    plane_args = {"origin": o, "d1": d1, "d2": d2, "shape": (300, 400), "progress": False}
    local = scan.plane(mlp, **plane_args)
    remote = scan.plane(mlp, **plane_args, client=client, tile_rows=81 * 2)
    assert np.array_equal(remote.values, local.values) and remote.meta["tiles"] == 2


def test_a_distributed_store_scan_resumes(client, tmp_path, monkeypatch):
    prob, _ = _problem("tansig", 1, (0,), False)
    args = {**GRID, "shape": (1800, 30), "tile_rows": 256}
    whole = scan.grid(prob, **args)
    # The client stops after writing three tiles (as if it were killed): the store keeps them.
    write = _tiles.TileStore.write

    def stop_after_three(self, t, *rest):
        if np.count_nonzero(self.counts() >= 0) == 3:
            raise KeyboardInterrupt("client stopped")
        write(self, t, *rest)

    with monkeypatch.context() as m:
        m.setattr(_tiles.TileStore, "write", stop_after_three)
        with pytest.raises(KeyboardInterrupt):
            scan.grid(prob, **args, client=client, store=tmp_path / "d.zarr")
    resumed = scan.grid(prob, **args, client=client, store=tmp_path / "d.zarr")
    assert resumed.meta["tiles_computed"] == 8 - 3
    assert np.array_equal(resumed.values, whole.values)
    # A store started locally is finished on the cluster.
    with monkeypatch.context() as m:
        _counting(m, fail_after=6)
        with pytest.raises(KeyboardInterrupt):
            scan.grid(prob, **args, store=tmp_path / "l.zarr")
    resumed = scan.grid(prob, **args, client=client, store=tmp_path / "l.zarr")
    assert resumed.meta["tiles_computed"] == 2
    assert np.array_equal(resumed.values, whole.values)
    assert np.array_equal(scan.Surface.from_zarr(tmp_path / "l.zarr").values, whole.values)
