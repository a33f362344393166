"""Valley and surface figures: the colour scale shows the valleys, labels are complete."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import fastsurf as fs  # noqa: E402
from fastsurf import plot  # noqa: E402
from fastsurf import valleys as V  # noqa: E402


@pytest.fixture(scope="module")
def linear():
    model = fs.RecurrentNeuron("purelin")
    prob = fs.Problem(model, fs.make_sequence_data(model, (0.5, 0.5), T=100, seed=2))
    surf = fs.scan.grid(prob, [0.5, 0.5], ranges=((-2, 2), (-5, 5)), shape=(200, 200),
                        progress=False)
    return prob, surf


def _colours(fig, surf, rows):
    im = fig.axes[0].images[0]
    rgba = im.cmap(im.norm(im.get_array()))
    return {tuple(np.round(c, 4)) for c in rgba[rows].reshape(-1, 4)}


def test_default_colour_scale_shows_the_stable_band_and_the_root_valley(linear):
    prob, surf = linear
    band = np.abs(surf.y) < 0.9
    fig = plot.surface(surf)
    assert len(_colours(fig, surf, band)) > 40       # not one flat colour
    full = plot.surface(surf, scale="full")
    assert len(_colours(full, surf, band)) < len(_colours(fig, surf, band)) / 3
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert any(lb.startswith("minimum (0.5") for lb in labels)
    assert fig.axes[1].get_ylabel().startswith("log10 loss")
    with pytest.raises(ValueError, match="scale"):
        plot.surface(surf, scale="rainbow")
    plt.close("all")


def test_predicted_valleys_are_not_white_and_are_labelled(linear):
    prob, surf = linear
    fig = plot.surface_with_valleys(surf, V.predict(prob), V.detect(surf), title="t")
    ax = fig.axes[0]
    for line in ax.get_lines():
        assert matplotlib.colors.to_rgb(line.get_color()) != (1.0, 1.0, 1.0) or \
            line.get_marker() == "*"
    labels = ax.get_legend_handles_labels()[1]
    assert "predicted: root valley (eq. 2)" in labels
    assert "detected (cross-section minima)" in labels
    assert ax.get_title() == "t" and ax.get_xlabel() and ax.get_ylabel()
    plt.close("all")


def test_cross_sections_mark_the_dips(linear):
    prob, _ = linear
    profs = V.cross_sections(prob, w2_range=(-5, 5), lengths=(10, 100), n=200)
    fig = plot.cross_sections(profs, marks=[(3.96, "frozen root")], title="Fig. 4")
    ax = fig.axes[0]
    assert "dips: frozen roots" in ax.get_legend_handles_labels()[1]
    assert [t.get_text() for t in ax.texts] == ["frozen root"] and ax.get_title() == "Fig. 4"
    plt.close("all")
