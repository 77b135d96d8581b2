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


def digits_grid(X: np.ndarray, clusters: np.ndarray, predicted: np.ndarray, labels: np.ndarray | None = None,
                cols: int = 10, rows: int = 3, lang: str | None = None) -> Figure:
    """Digits labelled ``cluster → digit``; a mistake gets a red frame and the true digit."""
    lang = resolve(lang)
    n = min(len(X), cols * rows)
    rows = max(1, int(np.ceil(n / cols)))
    fig = _figure(8, 1.05 * rows + 0.9)
    axes = fig.subplots(rows, cols, squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if i >= n:
            ax.set_axis_off()
            continue
        ax.imshow(X[i].reshape(28, 28), cmap="gray_r", vmin=0, vmax=1)
        ok = labels is None or predicted[i] == labels[i]
        text = f"{int(clusters[i])} → {int(predicted[i])}"
        if not ok:
            text += "\n" + t(lang, "pred.is", digit=int(labels[i]))
        ax.set_title(text, fontsize=9, color=RIGHT if ok else WRONG, linespacing=1.1)
        for spine in ax.spines.values():
            spine.set_edgecolor(RIGHT if ok else WRONG)
            spine.set_linewidth(1 if ok else 2.5)
    fig.suptitle(t(lang, "pred.digits_title"), fontsize=11, color=TEXT)
    fig.supxlabel(t(lang, "pred.digits_legend"), fontsize=9, color=MUTED, wrap=True)
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
    cols = min(k, 8)
    rows = int(np.ceil(k / cols))
    fig = _figure(8, 1.35 * rows + 0.6)
    axes = fig.subplots(rows, cols, squeeze=False)
    names = _cluster_names(mapping, k, lang)
    for i, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if i >= k:
            ax.set_axis_off()
            continue
        ax.imshow(centers[i].reshape(28, 28), cmap="gray_r")
        ax.set_title(names[i].replace(" → ", "\n→ "), fontsize=9, color=TEXT, linespacing=1.1)
    fig.suptitle(t(lang, "pred.centroids_title", k=k), fontsize=11, color=TEXT)
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
