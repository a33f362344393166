"""Bad input to fastsurf.roots and ``fastsurf roots``: refused before any work, with a message
naming the argument (or flag) and what is allowed."""

import time

import numpy as np
import pytest

from fastsurf import roots as R
from fastsurf.cli import main


def _refused_fast(exc, match, fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` raises ``exc`` matching ``match`` within a second (no work)."""
    t0 = time.perf_counter()
    with pytest.raises(exc, match=match):
        fn(*args, **kwargs)
    assert time.perf_counter() - t0 < 1.0


# --- sizes ---------------------------------------------------------------------------------------
def test_polynomial_roots_refuses_degrees_above_the_limit():
    assert R.MAX_DEGREE == 5000
    c = np.random.default_rng(0).standard_normal(10_001)        # degree 10^4: ~10 min, 1.75 GB
    _refused_fast(ValueError, r"coeffs .*degree 10000.*MAX_DEGREE=5000.*O\(k\^3\)",
                  R.polynomial_roots, c)
    _refused_fast(ValueError, "MAX_DEGREE", R.real_roots, np.r_[np.zeros(4000), c[:1002]])
    _refused_fast(ValueError, "k must be <= 5000", R.random_polynomial_roots, 5001)
    # degree MAX_DEGREE + 1 after trailing zeros are dropped is still refused, MAX_DEGREE is not
    # (checked without running it: the degree, not the length, counts)
    _refused_fast(ValueError, "degree 5001", R.polynomial_roots, np.r_[c[:5002], np.zeros(10)])


def test_sampler_refuses_sizes_before_allocating():
    _refused_fast(ValueError, r"k=10001 .*limit 10000 .*method='grid'",
                  R.sample_real_roots, 10_001, 1, progress=False)
    _refused_fast(ValueError, r"k=5001 .*limit 5000 .*method='eig'",
                  R.sample_real_roots, 5001, 1, method="eig", progress=False)
    _refused_fast(ValueError, "grid_points must be <= 1048576",
                  R.sample_real_roots, 10, 1, grid_points=2 ** 21, progress=False)
    _refused_fast(ValueError, r"^n: .*GiB", R.sample_real_roots, 10, 10 ** 13, progress=False)


def test_track_and_frozen_roots_refuse_too_much_work():
    p = np.random.default_rng(0).standard_normal(6000)
    _refused_fast(ValueError, r"orders gives a polynomial of degree 6000.*MAX_DEGREE",
                  R.track_roots, p, orders=[10, 6000])
    # sum of k^3 over 1..2000 is 4e12 > MAX_WORK = 5000^3
    _refused_fast(ValueError, r"orders asks track_roots for 2000 polynomials.*MAX_WORK",
                  R.track_roots, p[:2000], orders=np.arange(1, 2001))
    _refused_fast(ValueError, r"p \(T=3000\) with m=10 .*frozen_roots.*MAX_WORK",
                  R.frozen_roots, p[:3000], m=10)


def test_all_orders_refused_when_it_cannot_fit_in_memory():
    # T = 10^6: a 10^6 x (10^6 + 1) float64 array is 7.3 TiB
    _refused_fast(ValueError, r"p: all_orders=True with T=1000000 .*needs 7.45e\+03 GiB",
                  R.response_coefficients, np.ones(10 ** 6), all_orders=True)
    _refused_fast(TypeError, "all_orders must be True or False",
                  R.response_coefficients, [1.0, 2.0], all_orders="yes")


# --- silent coercions ----------------------------------------------------------------------------
@pytest.mark.parametrize("r", [0.5 + 0.5j, np.array([0.5, 1 + 1j]), "0.5", ["0.5"], True,
                               np.array([True, False])])
def test_kac_density_refuses_non_real_points(r):
    with pytest.raises(TypeError, match="^r must"):
        R.kac_density(r, 10)


def test_kac_density_keeps_real_input_and_shape():
    assert R.kac_density(0.5, 10).shape == ()
    assert R.kac_density(np.zeros((2, 3)), 10).shape == (2, 3)
    assert R.kac_density([], 10).shape == (0,)
    with pytest.raises(ValueError, match="r must contain only finite"):
        R.kac_density([0.5, np.nan], 10)


@pytest.mark.parametrize("fn", [R.root_sensitivity, R.condition_number])
def test_root_functions_refuse_non_finite_and_non_numbers(fn):
    c = [-2.0, 1.0]
    for bad in (np.nan, np.inf, -np.inf, complex(1.0, np.nan), np.float64("nan")):
        with pytest.raises(ValueError, match="root must be finite"):
            fn(c, bad)
    for bad in ("2.0", b"2", True, np.bool_(True), np.array([2.0]), [2.0], None):
        with pytest.raises(TypeError, match="root must be"):
            fn(c, bad)
    # numbers of every kind are fine, and agree
    ref = fn(c, 2.0)
    for good in (2, np.float32(2.0), np.int64(2), np.array(2.0)):
        np.testing.assert_allclose(fn(c, good), ref, rtol=1e-15)


@pytest.mark.parametrize("call", [
    lambda: R.polynomial_roots([True, False, True]),
    lambda: R.polynomial_roots(np.array([1, 0, 1], dtype=bool)),
    lambda: R.real_roots([1.0, True]),
    lambda: R.response_coefficients([True, False]),
    lambda: R.root_sensitivity(np.array([True, True]), -1.0),
    lambda: R.track_roots([1.0, 2.0, 3.0], orders=[True, True]),
    lambda: R.frozen_roots(np.ones(20, dtype=bool), m=5),
    lambda: R.expected_real_roots_curves([True, False]),
])
def test_booleans_refused_where_real_numbers_are_expected(call):
    with pytest.raises(TypeError, match="booleans"):
        call()


def test_other_type_and_value_errors_name_the_argument():
    with pytest.raises(TypeError, match="orders must be integers"):
        R.track_roots([1.0, 2.0, 3.0], orders=[1.0, 2.0])
    with pytest.raises(TypeError, match="coeffs must be real"):
        R.polynomial_roots([1.0, 1j])
    with pytest.raises(TypeError, match="ks must be integers"):
        R.expected_real_roots_curves([1.5, 2.0])
    with pytest.raises(ValueError, match="ks must be >= 1"):
        R.expected_real_roots_curves([0, 1])
    with pytest.raises(ValueError, match="vanishes for every w2"):
        R.frozen_roots(np.zeros(20), m=5)
    with pytest.raises(TypeError, match="progress"):
        R.track_roots([1.0, 2.0], orders=[1, 2], progress="yes")
    with pytest.raises(ValueError, match="r must be a regular"):
        R.kac_density([[0.5], [0.5, 0.6]], 10)
    with pytest.raises(ValueError, match="magnitudes span more than float64"):
        R.polynomial_roots([1.0, 1e300, 1e-300])       # roots -1e-300 and -1e600 at once


# --- the command ---------------------------------------------------------------------------------
def _user_error(capsys, argv, *needles):
    """``fastsurf roots argv`` exits 2 with one line on stderr naming the problem, having printed
    nothing else (checked before computing)."""
    try:
        rc = main(["roots", *argv])
    except SystemExit as exit_:          # argparse's own errors
        rc = exit_.code
    out, err = capsys.readouterr()
    assert rc == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("fastsurf roots: error: ")
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_command_user_errors_are_one_line_and_exit_2(tmp_path, capsys):
    t0 = time.perf_counter()
    _user_error(capsys, ["--input", str(tmp_path)], "--input", "not a file")
    _user_error(capsys, ["--T", "20000"], "--T 20000", "degree 19999", "limit of 5000")
    _user_error(capsys, ["--T", "3000"], "--frozen-window 10", "work limit")
    _user_error(capsys, ["--T", "0"], "--T must be >= 1")
    _user_error(capsys, ["--T", "abc"], "--T", "invalid int value")
    _user_error(capsys, ["--w1", "nan"], "--w1 must be a finite number")
    _user_error(capsys, ["--w1", "0"], "--w1 is 0")
    _user_error(capsys, ["--tol", "-1"], "--tol must be >= 0")
    _user_error(capsys, ["--frozen-window", "0"], "--frozen-window must be >= 1")
    _user_error(capsys, ["--seed", "-1"], "--seed must be >= 0")
    two_d = tmp_path / "p2.npy"
    np.save(two_d, np.ones((3, 4)))
    _user_error(capsys, ["--input", str(two_d)], "1-D sequence", "(3, 4)")
    text = tmp_path / "p2.txt"
    np.savetxt(text, np.ones((5, 2)))
    _user_error(capsys, ["--input", str(text)], "1-D sequence", "(5, 2)")
    bad = tmp_path / "bad.txt"
    bad.write_text("1.0\nabc\n")
    _user_error(capsys, ["--input", str(bad)], "not a readable text file")
    junk = tmp_path / "junk.npy"
    junk.write_bytes(b"\x93NUMPY garbage")
    _user_error(capsys, ["--input", str(junk)], "not a readable .npy file")
    for name, arr in (("c.npy", np.array([1 + 1j])), ("b.npy", np.array([True, False]))):
        np.save(tmp_path / name, arr)
        _user_error(capsys, ["--input", str(tmp_path / name)], "must hold real numbers")
    obj = tmp_path / "obj.npy"
    np.save(obj, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    _user_error(capsys, ["--input", str(obj)], "not a readable .npy file")
    nan = tmp_path / "nan.txt"
    np.savetxt(nan, [1.0, np.nan, 2.0])
    _user_error(capsys, ["--input", str(nan)], "finite numbers", "1 NaN/inf")
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    _user_error(capsys, ["--input", str(empty)], "no numbers")
    npz = tmp_path / "p.npz"
    np.savez(npz, p=np.ones(3))
    _user_error(capsys, ["--input", str(npz)], ".npz")
    long = tmp_path / "long.npy"
    np.save(long, np.ones(6000))
    _user_error(capsys, ["--input", str(long)], "T=6000", "degree 5999")
    assert time.perf_counter() - t0 < 10.0       # nothing was computed


def test_command_accepts_a_one_column_text_file(tmp_path, capsys):
    p = np.random.default_rng(2).standard_normal(30)
    path = tmp_path / "col.txt"
    np.savetxt(path, p[:, None])
    assert main(["roots", "--input", str(path)]) == 0
    real = R.real_roots(R.response_coefficients(p))
    out = capsys.readouterr().out
    assert f"T=30, degree 29, {real.size} real roots" in out
