"""Measure the constants of ``method="auto"``'s cost model (fastsurf.models.recurrent) and show
the path it picks against the faster one, on this machine.

    python bench/scan_cost.py

Prints the three constants (ns) to put in fastsurf/models/recurrent.py, then for a set of
grids the median times of the structural path, of brute force and of ``auto``. The structural
path is timed by zeroing its costs in the model, which makes ``auto`` take it wherever it applies.
"""

import numpy as np
from _timing import median_time

import fastsurf as fs
from fastsurf.models import recurrent


def _problem(T):
    model = fs.RecurrentNeuron("purelin")
    return fs.Problem(model, fs.make_sequence_data(model, (0.5, 0.5), T=T, seed=0))


def _time(prob, shape, method, structural=False):
    saved = recurrent.STRUCTURAL_ROW_STEP_NS, recurrent.STRUCTURAL_CELL_NS
    if structural:
        recurrent.STRUCTURAL_ROW_STEP_NS = recurrent.STRUCTURAL_CELL_NS = 0.0
    try:
        return median_time(lambda: fs.scan.grid(prob, [0.5, 0.5], ranges=((-2, 2), (-0.9, 0.9)),
                                                shape=shape, method=method, progress=False),
                           repeats=7)
    finally:
        recurrent.STRUCTURAL_ROW_STEP_NS, recurrent.STRUCTURAL_CELL_NS = saved


def main() -> None:
    ny = 2048
    row = _time(_problem(1000), (ny, 2), "auto", structural=True) / (ny * 1000) * 1e9
    cells = _time(_problem(10), (ny, ny), "auto", structural=True) * 1e9
    cell = (cells - row * ny * 10) / ny**2
    long = _time(_problem(1000), (ny, 64), "brute") / (ny * 64) * 1e9
    short = _time(_problem(10), (ny, 64), "brute") / (ny * 64) * 1e9
    step = (long - short) / 990
    print(f"STRUCTURAL_ROW_STEP_NS = {row:.3g}\nSTRUCTURAL_CELL_NS = {cell:.3g}\n"
          f"BRUTE_CELL_STEP_NS = {step:.3g}\nBRUTE_CELL_NS = {short - 10 * step:.3g}\n")
    print("| T | shape (feedback x input) | structural | brute | auto | auto's path |")
    print("|---|---|---|---|---|---|")
    for T in (10, 100, 1000):
        prob = _problem(T)
        for shape in [(2048, 4), (2048, 64), (4, 2048), (256, 256), (2048, 2048)]:
            s = _time(prob, shape, "auto", structural=True)
            b = _time(prob, shape, "brute")
            a = _time(prob, shape, "auto")
            x = np.linspace(-2, 2, shape[1])
            y = np.linspace(-0.9, 0.9, shape[0])
            path = prob.model.plane_path(prob.data, np.array([0.5, 0.5]), np.array([1.0, 0]),
                                         np.array([0, 1.0]), x, y)
            print(f"| {T} | {shape[0]} x {shape[1]} | {s * 1e3:.3f} ms | {b * 1e3:.3f} ms | "
                  f"{a * 1e3:.3f} ms | {path} |")


if __name__ == "__main__":
    main()
