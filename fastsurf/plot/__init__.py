"""Matplotlib figures. Each function draws the result objects it is handed (it computes
nothing and imports no other fastsurf module) and returns the Figure it drew on."""

from .derivatives import eigenvalue_maps, gradient_field, spectrum
from .paths import angles, band, interpolation, path_losses, trajectory_projection
from .roots import complex_roots, expected_roots, kac_histogram, root_tracks
from .surfaces import profile, surface
from .training import line_profiles, trajectories
from .valleys import cross_sections, overlay, surface_with_valleys

__all__ = ["angles", "band", "complex_roots", "cross_sections", "eigenvalue_maps",
           "expected_roots", "gradient_field", "interpolation", "kac_histogram", "line_profiles",
           "overlay", "path_losses", "profile", "root_tracks", "spectrum", "surface",
           "surface_with_valleys", "trajectories", "trajectory_projection"]
