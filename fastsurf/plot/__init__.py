"""Matplotlib figures. Each function returns the Figure it drew on."""

from .surface import profile, surface

__all__ = ["profile", "surface"]
