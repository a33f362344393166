"""Grid, plane and line scans of a loss (written in the foundation issue)."""
