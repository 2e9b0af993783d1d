"""Small HTML helpers for the pages (``solara.Markdown`` would load KaTeX from a CDN)."""

from __future__ import annotations

from html import escape

__all__ = ["escape", "table", "text"]


def text(s: str, *, bold: str | None = None) -> str:
    """Escaped text, with an optional bold lead-in."""
    lead = f"<b>{escape(bold)}</b> " if bold else ""
    return f"<div>{lead}{escape(s)}</div>"


def table(headers, rows, *, strong=None, numeric=()) -> str:
    """An HTML table; ``strong[i]`` makes row ``i`` bold, ``numeric`` columns align right."""
    strong = strong or [False] * len(rows)

    def cell(tag, value, j):
        align = ' style="text-align:right"' if j in numeric else ""
        return f"<{tag}{align}>{escape(str(value))}</{tag}>"

    head = "".join(cell("th", h, j) for j, h in enumerate(headers))
    body = []
    for row, bold in zip(rows, strong):
        cells = "".join(cell("td", v, j) for j, v in enumerate(row))
        body.append(f'<tr{" style=\"font-weight:600\"" if bold else ""}>{cells}</tr>')
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
