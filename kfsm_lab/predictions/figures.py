"""Figures of what the model learned: test digits with predictions, centroids, confusion matrix.

Each function returns a matplotlib Figure and never calls ``show()``; notebooks display them.
Sized for notebook width (about 10 inches).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

WRONG = "#c62828"
RIGHT = "#2e7d32"


def _figure(w: float, h: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(w, h), dpi=100, layout="constrained")


def digits_grid(X: np.ndarray, clusters: np.ndarray, predicted: np.ndarray, labels: np.ndarray | None = None,
                cols: int = 10, rows: int = 3, title: str = "Test digits and what the endpoint says") -> Figure:
    """Digits with ``cluster → digit``; a mistake gets a red frame and the true label."""
    n = min(len(X), cols * rows)
    rows = max(1, int(np.ceil(n / cols)))
    fig = _figure(10, 1.25 * rows + 0.6)
    axes = fig.subplots(rows, cols, squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if i >= n:
            ax.set_axis_off()
            continue
        ax.imshow(X[i].reshape(28, 28), cmap="gray_r", vmin=0, vmax=1)
        ok = labels is None or predicted[i] == labels[i]
        text = f"c{int(clusters[i])}→{int(predicted[i])}"
        if not ok:
            text += f" (is {int(labels[i])})"
        ax.set_title(text, fontsize=8, color=RIGHT if ok else WRONG)
        for spine in ax.spines.values():
            spine.set_edgecolor(RIGHT if ok else WRONG)
            spine.set_linewidth(1 if ok else 2.5)
    if labels is not None:
        acc = float(np.mean(predicted[:n] == labels[:n]))
        title += f" — {acc:.0%} right here (red = mistake)"
    fig.suptitle(title, fontsize=11)
    return fig


def centroids(centers: np.ndarray, mapping: np.ndarray | None = None,
              title: str = "The k centroids the model learned (from model.tar.gz → model_algo-1)") -> Figure:
    """Each centroid as a 28×28 image, labelled with its cluster and mapped digit."""
    k = len(centers)
    cols = min(k, 10)
    rows = int(np.ceil(k / cols))
    fig = _figure(10, 1.3 * rows + 0.6)
    axes = fig.subplots(rows, cols, squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if i >= k:
            ax.set_axis_off()
            continue
        ax.imshow(centers[i].reshape(28, 28), cmap="gray_r")
        label = f"cluster {i}"
        if mapping is not None and mapping[i] >= 0:
            label += f" → {int(mapping[i])}"
        ax.set_title(label, fontsize=8)
    fig.suptitle(title, fontsize=11)
    return fig


def confusion_matrix(cm: np.ndarray, accuracy: float | None = None,
                     title: str = "Held-out confusion matrix") -> Figure:
    """Rows = true digit, columns = predicted digit, counts written in the cells."""
    fig = _figure(6.5, 5.5)
    ax = fig.subplots()
    im = ax.imshow(cm, cmap="Blues")
    n = cm.shape[0]
    ax.set_xticks(range(n))
    ax.set_yticks(range(n))
    ax.set_xlabel("predicted digit")
    ax.set_ylabel("true digit")
    top = cm.max() or 1
    for t in range(n):
        for p in range(n):
            if cm[t, p]:
                ax.text(p, t, str(cm[t, p]), ha="center", va="center", fontsize=8,
                        color="white" if cm[t, p] > top / 2 else "black")
    if accuracy is not None:
        title += f" (accuracy {accuracy:.1%})"
    ax.set_title(title, fontsize=11)
    fig.colorbar(im, ax=ax, shrink=0.8, label="digits")
    return fig
