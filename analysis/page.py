"""The one HTML page shell of every relsim report: run report, sweep report, stylized facts, calibration.

`page(title, *sections, meta=..., verdict=...)` returns a self-contained page (one stylesheet, plotly.js
embedded once, with the first figure). Every piece of text given to it is escaped with html.escape;
only `Html` fragments (tables rendered by pandas with escaping, or built here from escaped text)
pass as they are.
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Sequence

import plotly.graph_objects as go

__all__ = ["Html", "Section", "page", "paragraph", "text"]

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;
max-width:1200px;padding:0 1rem;color:#222;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem} h2{font-size:1.2rem;margin-top:2.2rem}
.meta{color:#666;font-size:.85rem} .caption{color:#555;font-size:.9rem;margin:.2rem 0 .6rem}
.verdict{font-size:1.1rem;background:#f4f7fb;border-left:4px solid #1f77b4;
padding:.8rem 1rem;margin:1rem 0}
table.summary{border-collapse:collapse;font-size:.9rem;font-variant-numeric:tabular-nums;display:block;
max-width:100%;overflow-x:auto}
table.summary th,table.summary td{padding:.3rem .6rem;border-bottom:1px solid #e3e3e3;
text-align:right;white-space:nowrap}
table.summary thead th{white-space:normal;overflow-wrap:anywhere;max-width:13rem;vertical-align:bottom}
table.summary tbody th{white-space:normal;min-width:11rem;max-width:16rem}
table.summary th:first-child,table.summary tbody th,table.summary td:first-child{text-align:left}
.badge{display:inline-block;padding:.1rem .55rem;border-radius:.3rem;color:#fff;font-size:.85rem;
font-weight:600;margin-left:.4rem;vertical-align:middle}
.pass{background:#2ca02c} .fail{background:#d62728} .xfail{background:#ff7f0e}
.ok{color:#2ca02c} .notok{color:#d62728}
.claim{font-size:1.05rem} .source{color:#444} .gap{background:#fff4e5;border-left:4px solid #ff7f0e;
padding:.5rem .8rem} code{background:#f3f3f3;padding:.05rem .3rem;border-radius:.2rem;font-size:.85rem}
ul.checks{list-style:none;padding-left:0} ul.checks li{margin:.15rem 0}
"""

PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}


class Html(str):
    """A fragment of trusted HTML: inserted as it is (everything else given to `page` is escaped)."""


def text(value: str | Html) -> str:
    """`value` as HTML: an `Html` fragment as it is, plain text escaped."""
    return value if isinstance(value, Html) else html.escape(str(value))


def paragraph(value: str | Html, cls: str = "") -> Html:
    """A paragraph of (escaped) text, with an optional CSS class."""
    attr = f' class="{html.escape(cls)}"' if cls else ""
    return Html(f"<p{attr}>{text(value)}</p>")


@dataclasses.dataclass(frozen=True)
class Section:
    """A part of a page: a heading, a caption, then its body (figures, `Html` fragments or paragraphs of text)."""

    heading: str | Html = ""
    caption: str = ""
    body: Sequence[object] = ()
    anchor: str = ""  # the heading's id, for links within the page


def page(title: str, *sections: Section, meta: str = "", verdict: str = "", context: str = "") -> str:
    """A whole HTML page: title, meta line, context (e.g. what differs between the arms), verdict, then the
    sections in order."""
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>",
             f"<h1>{html.escape(title)}</h1>"]
    if meta:
        parts.append(paragraph(meta, "meta"))
    if context:
        parts.append(paragraph(context, "context"))
    if verdict:
        parts.append(paragraph(verdict, "verdict"))
    embedded = False
    for section in sections:
        if section.heading:
            anchor = f' id="{html.escape(section.anchor)}"' if section.anchor else ""
            parts.append(f"<h2{anchor}>{text(section.heading)}</h2>")
        if section.caption:
            parts.append(paragraph(section.caption, "caption"))
        for item in section.body:
            if isinstance(item, go.Figure):
                parts.append(item.to_html(full_html=False, include_plotlyjs=not embedded, config=PLOTLY_CONFIG))
                embedded = True
            elif item:
                parts.append(item if isinstance(item, Html) else paragraph(item))
    parts.append("</body></html>")
    return "\n".join(parts)
