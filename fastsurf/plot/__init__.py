"""Matplotlib figures. Each function returns the Figure it drew on."""

from .roots import complex_roots, expected_roots, kac_histogram, root_tracks
from .surface import profile, surface

__all__ = ["complex_roots", "expected_roots", "kac_histogram", "profile", "root_tracks",
           "surface"]
