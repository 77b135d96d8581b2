"""Figures of what the model learned: test digits with predictions, centroids, confusion matrix.

Each function returns a matplotlib Figure and never calls ``show()``; notebooks display them. Sized
to be shown about 8 inches wide at 100 px per inch and to scale down with the page; labels follow
``lang`` (Japanese draws with the CJK fallback font).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..i18n import resolve, t

if TYPE_CHECKING:
    from matplotlib.figure import Figure

WRONG = "#c5221f"
RIGHT = "#137333"
TEXT = "#202124"
MUTED = "#5f6368"


def _figure(w: float, h: float) -> Figure:
    from matplotlib.figure import Figure

    from ..fonts import use_cjk_fallback

    use_cjk_fallback()
    fig = Figure(figsize=(w, h), dpi=100, layout="constrained")
    fig.patch.set_facecolor("white")
    return fig


def _tiles(fig: Figure, images: np.ndarray, cols: int, titles: list[str], colors: list[str],
           frames: list[float], heading: str, legend: str = "", cmap: str = "gray_r") -> None:
    """28×28 images in rows of ``cols``, each with a title above it and a coloured frame; ``heading``
    above them all and ``legend`` (wrapped) below.

    Everything is drawn in one axes — one picture of the tiles side by side, a text and a rectangle per
    tile — because an axes per tile (40-odd for the digits and the centroids) took ~1.5 s to build and
    lay out in every notebook run, where one axes takes a tenth of that. Each image is scaled to 0-1
    (``vmin``/``vmax`` of its own, as ``imshow`` of one tile would). The figure keeps its width and gets
    the height the tiles need; the axes is placed by hand (no layout engine to run).
    """
    from matplotlib import colormaps
    from matplotlib.patches import Rectangle

    side, gap_x = 28, 7
    lines = max((tt.count("\n") + 1 for tt in titles), default=1)
    gap_y = 4 + 6 * lines  # room for the titles: about 6 px of a tile's 28 per line at 9 pt
    n = len(images)
    rows = max(1, int(np.ceil(n / cols)))
    pitch_x, pitch_y = side + gap_x, side + gap_y
    mosaic = np.full((rows * pitch_y, cols * pitch_x), np.nan, dtype=np.float32)
    fig.set_layout_engine("none")
    ax = fig.add_axes((0.01, 0.0, 0.98, 1.0))
    for i in range(n):
        r, c = divmod(i, cols)
        x0, y0 = c * pitch_x + gap_x // 2, r * pitch_y + gap_y
        img = images[i].reshape(side, side).astype(np.float32)
        lo, hi = float(img.min()), float(img.max())
        mosaic[y0:y0 + side, x0:x0 + side] = (img - lo) / (hi - lo) if hi > lo else 0.0
        ax.text(x0 + side / 2 - 0.5, y0 - 2, titles[i], ha="center", va="bottom", fontsize=9, color=colors[i],
                linespacing=1.1)
        ax.add_patch(Rectangle((x0 - 0.5, y0 - 0.5), side, side, fill=False, edgecolor=colors[i],
                               linewidth=frames[i], clip_on=False))  # the last row's frames touch the edge
    ax.imshow(mosaic, cmap=colormaps[cmap].with_extremes(bad="white"), vmin=0, vmax=1)
    ax.set_xlim(-0.5, mosaic.shape[1] - 0.5)  # the whole picture, whatever the texts and frames autoscale to
    ax.set_ylim(mosaic.shape[0] - 0.5, -0.5)
    ax.set_axis_off()
    top, bottom = 0.4, (0.55 if legend else 0.1)  # inches: the heading; the legend's two lines
    tiles_h = fig.get_figwidth() * 0.98 * mosaic.shape[0] / mosaic.shape[1]
    height = round(top + tiles_h + bottom, 2)
    fig.set_figheight(height)
    ax.set_position((0.01, bottom / height, 0.98, tiles_h / height))
    fig.suptitle(heading, fontsize=11, color=TEXT, y=1 - 0.1 / height, va="top")
    if legend:
        fig.supxlabel(legend, fontsize=9, color=MUTED, wrap=True, y=0.05 / height, va="bottom")


def digits_grid(X: np.ndarray, clusters: np.ndarray, predicted: np.ndarray, labels: np.ndarray | None = None,
                cols: int = 10, rows: int = 3, lang: str | None = None) -> Figure:
    """Digits labelled ``cluster → digit``; a mistake gets a red frame and the true digit."""
    lang = resolve(lang)
    n = min(len(X), cols * rows)
    fig = _figure(8, 4)  # the height is fitted to the tiles
    ok = [labels is None or predicted[i] == labels[i] for i in range(n)]
    titles = [f"{int(clusters[i])} → {int(predicted[i])}"
              + ("" if ok[i] else "\n" + t(lang, "pred.is", digit=int(labels[i]))) for i in range(n)]
    _tiles(fig, np.clip(X[:n], 0, 1), cols, titles, [RIGHT if good else WRONG for good in ok],
           [1.0 if good else 2.5 for good in ok], t(lang, "pred.digits_title"), t(lang, "pred.digits_legend"))
    return fig


def _cluster_names(mapping: np.ndarray | None, k: int, lang: str) -> list[str]:
    """"cluster 3 → 4"; when two clusters stand for one digit they are numbered (#1, #2)."""
    if mapping is None:
        return [t(lang, "pred.cluster", c=c) for c in range(k)]
    names = []
    for c in range(k):
        d = int(mapping[c])
        if d < 0:
            names.append(t(lang, "pred.cluster_empty", c=c))
            continue
        same = [i for i in range(k) if int(mapping[i]) == d]
        if len(same) > 1:
            names.append(t(lang, "pred.cluster_digit_nth", c=c, d=d,
                           nth=t(lang, "pred.nth", n=same.index(c) + 1)))
        else:
            names.append(t(lang, "pred.cluster_digit", c=c, d=d))
    return names


def centroids(centers: np.ndarray, mapping: np.ndarray | None = None, lang: str | None = None) -> Figure:
    """Each centroid as a 28×28 image, labelled with its cluster and the digit it stands for."""
    lang = resolve(lang)
    k = len(centers)
    fig = _figure(8, 3)  # the height is fitted to the tiles
    names = [name.replace(" → ", "\n→ ") for name in _cluster_names(mapping, k, lang)]
    _tiles(fig, centers, min(k, 8), names, [TEXT] * k, [0.8] * k, t(lang, "pred.centroids_title", k=k))
    return fig


def confusion_matrix(cm: np.ndarray, accuracy: float | None = None, lang: str | None = None,
                     note: str | None = None, missing: list[int] | None = None) -> Figure:
    """Rows = true digit, columns = predicted digit, counts in the cells; a digit never predicted is
    outlined and ``note`` says why below the matrix."""
    from matplotlib.patches import Rectangle

    lang = resolve(lang)
    fig = _figure(6.4, 6.0 if note else 5.4)
    ax = fig.subplots()
    im = ax.imshow(cm, cmap="Blues")
    n = cm.shape[0]
    ax.set_xticks(range(n))
    ax.set_yticks(range(n))
    ax.set_xlabel(t(lang, "pred.predicted"), fontsize=10)
    ax.set_ylabel(t(lang, "pred.true"), fontsize=10)
    top = cm.max() or 1
    for tr in range(n):
        for p in range(n):
            if cm[tr, p]:
                ax.text(p, tr, str(cm[tr, p]), ha="center", va="center", fontsize=8.5,
                        color="white" if cm[tr, p] > top / 2 else TEXT)
    for d in missing or []:
        ax.add_patch(Rectangle((d - 0.5, -0.5), 1, n, fill=False, edgecolor=WRONG, linewidth=2, linestyle="--"))
    title = t(lang, "pred.confusion_title", accuracy=f"{accuracy:.1%}") if accuracy is not None else ""
    ax.set_title(title, fontsize=11, color=TEXT)
    fig.colorbar(im, ax=ax, shrink=0.8, label=t(lang, "pred.count"))
    if note:
        fig.supxlabel(note, fontsize=9, color=WRONG, wrap=True)
    return fig
