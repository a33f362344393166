"""Dispatch of scans to fused Numba kernels when the model has one."""

from __future__ import annotations


def plane_losses(problem, origin, d1, d2, x, y, progress):
    """Fused evaluation of a plane scan, or None when no fused kernel applies."""
    return None
