"""The report's Markdown as a PDF (reportlab): headings, paragraphs, bullet lists, tables, figures.

Only the Markdown the report writes is supported: ``#``/``##``/``###`` headings, paragraphs,
``- `` bullets, pipe tables, ``![alt](path.png)`` images on their own line, ``**bold**`` and
```code``` spans.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

__all__ = ["markdown_to_pdf"]


def _inline(text: str) -> str:
    t = html.escape(text, quote=False)
    t = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", t)
    t = re.sub(r"`(.+?)`", r"<font face='Courier'>\1</font>", t)
    t = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"<i>\1</i>", t)
    return t


def markdown_to_pdf(text: str, path: Path, base: Path) -> Path:
    """Write ``text`` (the report's Markdown) to ``path``; images are read relative to ``base``."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import (Image, ListFlowable, ListItem, Paragraph, SimpleDocTemplate,
                                    Spacer, Table, TableStyle)

    styles = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=styles["BodyText"], fontSize=9.5, leading=12.5)
    cell = ParagraphStyle("cell", parent=body, fontSize=7.5, leading=9)
    heads = {1: styles["Title"], 2: styles["Heading2"], 3: styles["Heading3"]}
    width = A4[0] - 3.6 * cm
    story = []
    lines = text.splitlines()
    i = 0
    para: list[str] = []

    def flush():
        if para:
            story.append(Paragraph(_inline(" ".join(para)), body))
            story.append(Spacer(1, 4))
            para.clear()

    while i < len(lines):
        line = lines[i]
        s = line.strip()
        if not s:
            flush()
            i += 1
            continue
        m = re.match(r"^(#{1,3}) (.*)$", s)
        if m:
            flush()
            story.append(Paragraph(_inline(m.group(2)), heads[len(m.group(1))]))
            i += 1
            continue
        m = re.match(r"^!\[(.*?)\]\((.*?)\)$", s)
        if m:
            flush()
            p = base / m.group(2)
            if p.exists():
                from reportlab.lib.utils import ImageReader
                w, h = ImageReader(str(p)).getSize()
                scale = min(width / w, (A4[1] * 0.45) / h)
                story.append(Image(str(p), width=w * scale, height=h * scale))
                story.append(Spacer(1, 6))
            i += 1
            continue
        if s.startswith("|"):
            flush()
            rows = []
            while i < len(lines) and lines[i].strip().startswith("|"):
                r = lines[i].strip().strip("|").split("|")
                if not all(set(c.strip()) <= set("-: ") for c in r):
                    rows.append([Paragraph(_inline(c.strip()), cell) for c in r])
                i += 1
            n = max(len(r) for r in rows)
            rows = [r + [""] * (n - len(r)) for r in rows]
            t = Table(rows, colWidths=[width / n] * n, repeatRows=1)
            t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                                   ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                                   ("VALIGN", (0, 0), (-1, -1), "TOP")]))
            story.append(t)
            story.append(Spacer(1, 6))
            continue
        if s.startswith("- "):
            flush()
            items = []
            while i < len(lines) and lines[i].strip().startswith("- "):
                item = [lines[i].strip()[2:]]
                i += 1
                while i < len(lines) and lines[i].startswith("  ") and lines[i].strip() \
                        and not lines[i].strip().startswith("- "):
                    item.append(lines[i].strip())
                    i += 1
                items.append(ListItem(Paragraph(_inline(" ".join(item)), body)))
            story.append(ListFlowable(items, bulletType="bullet", leftIndent=12))
            continue
        para.append(s)
        i += 1
    flush()
    path = Path(path)
    tmp = path.with_suffix(".pdf.tmp")
    SimpleDocTemplate(str(tmp), pagesize=A4, leftMargin=1.8 * cm, rightMargin=1.8 * cm,
                      topMargin=1.6 * cm, bottomMargin=1.6 * cm,
                      title=text.splitlines()[0].lstrip("# ")).build(story)
    tmp.replace(path)
    return path
