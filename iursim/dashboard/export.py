"""Files the dashboard offers for download: metrics as CSV or Parquet, charts as HTML."""

from __future__ import annotations

import html
import io
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from iursim.i18n import Lang, t

__all__ = ["charts_html", "metrics_csv", "metrics_parquet"]


def metrics_csv(metrics: pd.DataFrame) -> bytes:
    """Return the metrics as UTF-8 CSV, one row per month, without the index."""
    return metrics.to_csv(index=False).encode("utf-8")


def metrics_parquet(metrics: pd.DataFrame) -> bytes:
    """Return the metrics as a Parquet file (pyarrow engine), without the index."""
    buffer = io.BytesIO()
    metrics.to_parquet(buffer, index=False, engine="pyarrow")
    return buffer.getvalue()


def charts_html(figures: Sequence[go.Figure], title: str, lang: Lang) -> str:
    """Return one self-contained HTML page with every figure.

    plotly.js is embedded once, in the first figure, so the page opens without a network.
    """
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p>{html.escape(t('dash.subtitle', lang))}</p>",
    ]
    for index, figure in enumerate(figures):
        parts.append(figure.to_html(full_html=False, include_plotlyjs=index == 0))
    parts.append("</body></html>")
    return "\n".join(parts)
