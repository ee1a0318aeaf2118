"""Charts for reports, drawn with Matplotlib as inline SVG.

Text stays text (`svg.fonttype: none`), so the reader's browser sets the Chinese labels in its own
CJK font and the SVG needs no embedded glyphs. Figures are built with the object API (no pyplot
state), so rendering is safe in a server.
"""

from __future__ import annotations

import io
import logging
import re
import warnings
from collections.abc import Sequence
from typing import Any

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

FONT_FAMILY = ["Noto Sans CJK SC", "WenQuanYi Zen Hei", "Source Han Sans SC", "Microsoft YaHei", "sans-serif"]
PALETTE = ["#1f5fa8", "#d9822b", "#2e8b57", "#c23b22", "#7a5195", "#8c8c8c"]
STYLE = {
    "svg.fonttype": "none",
    "svg.hashsalt": "mediation-hub",  # stable element ids: the same data gives the same bytes
    "font.family": FONT_FAMILY,
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.unicode_minus": False,
}

# Layout uses a Latin font's metrics when no CJK font is installed on the server; the browser still
# sets the glyphs. Matplotlib's complaints about that are noise here.
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)


def _svg(fig: Figure, name: str, title: str) -> str:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Creator": None, "Date": None, "Format": None, "Type": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]  # drop the XML prolog and doctype: the SVG goes inline
    return re.sub(r"<svg ", f'<svg role="img" aria-label="{title}" data-chart="{name}" ', svg, count=1)


def _axes(title: str, height: float = 3.0) -> tuple[Figure, Any]:
    fig = Figure(figsize=(6.4, height), layout="constrained")
    ax = fig.add_subplot()
    ax.set_title(title, loc="left", fontsize=11)
    return fig, ax


def _empty(fig: Figure, ax: Any, name: str, title: str) -> str:
    ax.text(0.5, 0.5, "无数据", ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()
    return _svg(fig, name, title)


def bar_chart(name: str, title: str, labels: Sequence[str], values: Sequence[float], *, horizontal: bool = False,
              percent: bool = False) -> str:
    """A bar chart with its values written on the bars."""
    with matplotlib.rc_context(STYLE):
        fig, ax = _axes(title, height=max(2.4, 0.32 * len(labels) + 0.8) if horizontal else 3.0)
        if not labels:
            return _empty(fig, ax, name, title)
        shown = [f"{v:.0%}" if percent else f"{v:g}" for v in values]
        if horizontal:
            bars = ax.barh(list(labels)[::-1], list(values)[::-1], color=PALETTE[0])
            ax.bar_label(bars, labels=shown[::-1], padding=2, fontsize=8)
            if percent:
                ax.set_xlim(0, 1.15)
                ax.xaxis.set_major_formatter(PercentFormatter(1.0))
        else:
            bars = ax.bar(list(labels), list(values), color=PALETTE[0])
            ax.bar_label(bars, labels=shown, padding=2, fontsize=8)
            ax.tick_params(axis="x", labelrotation=30)
        return _svg(fig, name, title)


def line_chart(name: str, title: str, labels: Sequence[str], series: dict[str, Sequence[float]]) -> str:
    """One line per series over the same labels (months)."""
    with matplotlib.rc_context(STYLE):
        fig, ax = _axes(title)
        if not labels:
            return _empty(fig, ax, name, title)
        for colour, (label, values) in zip(PALETTE, series.items()):
            ax.plot(list(labels), list(values), marker="o", markersize=3, color=colour, label=label)
        ax.legend(frameon=False, fontsize=8)
        ax.tick_params(axis="x", labelrotation=30)
        ax.set_ylim(bottom=0)
        return _svg(fig, name, title)
