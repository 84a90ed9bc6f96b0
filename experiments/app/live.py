"""The live transport of the educator's charts: plotly figure specs to the browser, as diffs.

`redraw` sends only what changed since the last drawing (plotly restyles and one relayout) and
paces itself on the browser's "drawn" reports, so a fast model skips days instead of queueing them.
`ResponsiveFigure` and `ResizeNudge` make the figures fill their grid cells. `fetch_plotly_once` makes
the charts load plotly's front end once per page instead of once per chart.

Why a chart could stay blank, and what prevents it: plotly's edits travel as messages, and a message
sent before the browser has created the widget's model is lost; the browser then draws the widget's
synced state, which plotly fills only when the widget is built or displayed in Jupyter. So every full
drawing also writes that state (`_sync_state`), and a widget whose drawing the browser has never
confirmed is drawn in full again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from copy import deepcopy
from pathlib import Path

import ipyvuetify
import numpy as np
import plotly
import traitlets
from plotly.graph_objs import FigureWidget

STALE_DRAW_S = 2.0  # send a chart update anyway if the browser has not confirmed the last one by then


def plain(value):
    """A figure spec with NumPy arrays as lists and NaN as None (gaps), as the live FigureWidget needs."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f":
            return np.where(np.isnan(value), None, value).tolist()
        return value.tolist()
    return value


class ResponsiveFigure(FigureWidget):
    """A live plotly figure that fills its grid cell (and follows it when the window or cell resizes)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._config = {"responsive": True, "displaylogo": False}


#: plotly's widget front end (plotly.js and the widget's view, 5 MB; what FigureWidget carries in its state) and
#: the address relsim-app serves it at: versioned, so a browser's cached copy is always the plotly that draws.
PLOTLY_BUNDLE = Path(plotly.__file__).parent / "package_data" / "widgetbundle.js"
PLOTLY_BUNDLE_ROUTE = f"/relsim/plotly-{plotly.__version__}-widget.js"
# The chart's front end as anywidget runs it (an ES module): plotly's, imported from the app's own address
# (under Solara's root path), which the browser fetches once per page however many charts import it.
_FETCH_PLOTLY_ESM = f"""const root = (window.solara && window.solara.rootPath) || "";
const plotly = await import(new URL(root + "{PLOTLY_BUNDLE_ROUTE}", window.location.origin).href);
export default plotly.default;
"""


def fetch_plotly_once() -> None:
    """Make every chart import plotly's front end from PLOTLY_BUNDLE_ROUTE, which the server must serve.

    A FigureWidget sends plotly's 5 MB bundle with its state, so each of the page's six charts sent it
    again over the websocket and the browser evaluated it six times: a fresh page took about 10 s to show
    its first chart on a 2-core machine. Fetched by address, the bundle is loaded once per page (then
    from the browser's cache). relsim-app calls this before it serves the page.
    """
    ResponsiveFigure._esm = _FETCH_PLOTLY_ESM


class ResizeNudge(ipyvuetify.VuetifyTemplate):
    """Tells the browser's plots to fit their cells once the grid has laid them out (a window 'resize')."""

    template = traitlets.Unicode("""<template><span /></template>
<script>
module.exports = {
  mounted() {
    [200, 600, 1500, 4000].forEach(ms => setTimeout(() => window.dispatchEvent(new Event('resize')), ms));
  }
}
</script>""").tag(sync=True)


def _sync_state(widget: FigureWidget) -> None:
    """Write the figure into the widget's synced state, which a browser reads when it creates the widget's
    model (what plotly itself does when Jupyter displays a widget)."""
    widget._widget_layout = deepcopy(widget._layout_obj._props)
    widget._widget_data = deepcopy(widget._data)


def _flat(tree: dict, prefix: str = "") -> dict:
    """{"marker": {"color": c}} -> {"marker.color": c}: plotly's property paths."""
    out = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _send(widget: FigureWidget, spec: dict) -> None:
    """Send a figure spec: only what changed since the last one (the first drawing goes in full)."""
    spec = plain(spec)
    traces, layout = [_flat(t) for t in spec["data"]], _flat(spec["layout"])
    last = getattr(widget, "_relsim_sent", None)
    if last is None or len(last[0]) != len(traces) or len(widget.data) != len(traces):
        with widget.batch_update():
            widget.data = ()
            widget.update(spec)
        _sync_state(widget)
    else:
        for k, (now, before) in enumerate(zip(traces, last[0], strict=True)):
            changed = {path: [value] for path, value in now.items() if before.get(path) != value}
            if changed:
                widget.plotly_restyle(changed, k)
        changed = {path: value for path, value in layout.items() if last[1].get(path) != value}
        if changed:
            widget.plotly_relayout(changed)
    widget._relsim_sent, widget._relsim_sent_at = (traces, layout), time.monotonic()


def _browser_drew(widget: FigureWidget, change: dict) -> None:
    """The browser reports the trace edit it has drawn; if it has caught up and days passed, ask for more."""
    message = change["new"]
    if not message:
        return
    widget._relsim_drawn = max(widget._relsim_drawn, message["trace_edit_id"])
    if widget._relsim_drawn >= widget._last_trace_edit_id and widget._relsim_pending:
        widget._relsim_pending = False
        # Ask for a re-render, which sends the latest state; widget messages sent from inside this
        # message handler would be held back and merged.
        widget._relsim_on_ready()


def redraw(widget: FigureWidget, spec: Callable[[], dict], on_ready: Callable[[], None] = lambda: None) -> None:
    """Update a live figure to `spec()`, at the pace the browser draws.

    Changed trace properties go as plotly restyles and changed layout properties as one relayout.
    While the browser has not yet drawn the previous update, nothing is sent; when it reports that it
    has, `on_ready()` asks for a redraw, which draws the latest day. So when the model runs faster
    than the browser draws, the charts skip days instead of falling behind. Without a browser (no
    report ever came) or if it has not reported within STALE_DRAW_S, every update is sent, and while no
    drawing was ever confirmed, in full.
    """
    widget._relsim_on_ready = on_ready
    if not hasattr(widget, "_relsim_drawn"):
        widget._relsim_drawn, widget._relsim_pending, widget._relsim_sent_at = -1, False, 0.0
        widget.observe(lambda change: _browser_drew(widget, change), names=["_js2py_traceDeltas"])
    waiting = 0 <= widget._relsim_drawn < widget._last_trace_edit_id
    stale = time.monotonic() - widget._relsim_sent_at >= STALE_DRAW_S
    if waiting and not stale:
        widget._relsim_pending = True
        return
    widget._relsim_pending = False
    if widget._relsim_drawn < 0 and stale:  # the browser never confirmed a drawing: it may have missed it
        widget._relsim_sent = None
    _send(widget, spec())
