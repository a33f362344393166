"""Matplotlib figures. Each function returns the Figure it drew on."""

from .roots import complex_roots, expected_roots, kac_histogram, root_tracks
from .surface import profile, surface
from .valleys import cross_sections, overlay, surface_with_valleys

__all__ = ["complex_roots", "cross_sections", "expected_roots", "kac_histogram", "overlay",
           "profile", "root_tracks", "surface", "surface_with_valleys"]
