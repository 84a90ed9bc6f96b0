"""relsim-app: the educator's page, a Mesa SolaraViz page in the browser.

It shows how a relationship decays (Fournier, Dobscha & Mick 1998, "Preventing the premature death
of relationship marketing"): a strategy preset and a what-if scenario, sliders for the focal firm's
levers that act on the running model, Play / Step / Reset, live charts of customers, trust, intimacy,
stress, complaints and profit, the consumer network coloured by trust, and captions of what just
happened. Like Mesa's own examples, this file holds no model logic: the model, its presets and the
captions are in experiments/lesson.py and sim/.

    relsim-app                          # http://127.0.0.1:8765
    relsim-app --port 9000
    relsim-app --host 0.0.0.0 --allow-remote   # serve the page to other machines (a classroom)
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
import time
import weakref
from collections.abc import Callable

import ipyvuetify
import networkx as nx
import numpy as np
import solara
import traitlets
from mesa.visualization import SolaraViz
from mesa.visualization.utils import force_update, update_counter
from plotly.graph_objs import FigureWidget

from relsim.experiments.lesson import LESSON, LessonModel, lesson_intro, presets, what_ifs
from relsim.params import Strategy
from relsim.recorder import COLUMNS

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8765
PLAY_INTERVAL_MS = 100  # pause between steps while playing (Mesa's default)
NETWORK_NODES = 300  # at most this many consumers in the network view
SMOOTH_DAYS = 7  # complaints are 7-day totals, profit a 7-day mean
X_BLOCK = 30  # days: the charts' x axis grows by this much at a time
STALE_DRAW_S = 2.0  # send a chart update anyway if the browser has not confirmed the last one by then
OFFLINE_CDN = "http://127.0.0.1:9/npm/"  # the discard port: nothing listens, the request fails at once

#: Inputs of a new run (Mesa's ModelCreator): they take effect on Reset.
MODEL_PARAMS = {
    "preset": {"type": "Select", "value": "one_way", "values": presets(), "label": "Strategy preset (focal firm)"},
    "what_if": {"type": "Select", "value": LESSON, "values": what_ifs(), "label": "Scenario"},
    "consumers": {"type": "Select", "value": 2000, "values": [500, 1000, 2000, 5000, 10000], "label": "Consumers"},
    "rng": {"type": "InputText", "value": "1", "label": "Seed (a whole number: which consumers, which network)"},
}

#: The focal firm's levers on the page: label, unit, slider range and step (the values come from the preset).
LEVER_SLIDERS = {
    "contact_rate": ("Contact rate", "contacts per customer a year", 0, 365, 1),
    "intrusiveness": ("Intrusiveness", "(0 a catalogue, 1 a dinner-time call)", 0, 1, 0.05),
    "inbound_capacity": ("Inbound capacity", "(calls answered a day per 1,000 customers)", 0, 20, 0.5),
    "support_free_days": ("Support free for the first", "days", 0, 365, 5),
    "support_fee": ("Support fee", "per call after that", 0, 30, 1),
    "listening": ("Listening", "(share of complaints heard and answered)", 0, 1, 0.05),
    "responsiveness": ("Responsiveness", "(how much what is heard fixes the product)", 0, 1, 0.05),
}


def _series(model: LessonModel, column: str, firm: int = 0) -> np.ndarray:
    """The recorded daily values of `column` for `firm`, day 1 to today."""
    rec = model.recorder
    return rec.values[: rec.day, firm, COLUMNS.index(column)]


def _window(x: np.ndarray, days: int, mean: bool) -> np.ndarray:
    """Trailing sums (or means) over `days` days."""
    c = np.cumsum(np.r_[0.0, np.nan_to_num(x)])
    k = np.arange(1, len(x) + 1)
    lo = np.maximum(k - days, 0)
    total = c[k] - c[lo]
    return total / (k - lo) if mean else total


def _layout(title: str, ytitle: str, model: LessonModel, **extra) -> dict:
    """A chart's layout: title, axes, legend below. The x axis grows in 30-day blocks, so the browser
    redraws the axes once a month rather than every day."""
    days = X_BLOCK * max(1, -(-model.recorder.day // X_BLOCK))
    layout = dict(title=dict(text=title, x=0.02, font=dict(size=14)), height=300,
                  margin=dict(l=50, r=10, t=36, b=36), xaxis=dict(title=dict(text="day"), range=[0, days]),
                  yaxis=dict(title=dict(text=ytitle)), uirevision=title, legend=dict(orientation="h", y=-0.22, x=0),
                  dragmode=False)
    return {**layout, **extra}


def customers_figure(model: LessonModel) -> dict:
    """Customers per firm, by day."""
    days = np.arange(1, model.recorder.day + 1)
    data = [dict(type="scatter", x=days, y=_series(model, "customers", f), name=name, mode="lines")
            for f, name in enumerate(model.names)]
    return {"data": data, "layout": _layout("Customers per firm", "customers", model)}


def relationship_figure(model: LessonModel) -> dict:
    """Mean trust, intimacy and stress of the focal firm's customers, by day."""
    days = np.arange(1, model.recorder.day + 1)
    data = [dict(type="scatter", x=days, y=_series(model, f"mean_{k}"), name=k, mode="lines", line=dict(color=c))
            for k, c in (("trust", "#1a9850"), ("intimacy", "#4575b4"), ("stress", "#d73027"))]
    return {"data": data, "layout": _layout("Focal firm's customers: trust, intimacy, stress", "mean", model,
                                            yaxis=dict(title=dict(text="mean"), range=[0, 1]))}


def complaints_figure(model: LessonModel) -> dict:
    """Private and public complaints about the focal firm (7-day totals)."""
    days = np.arange(1, model.recorder.day + 1)
    data = [dict(type="scatter", x=days, y=_window(_series(model, f"complaints_{k}"), SMOOTH_DAYS, mean=False),
                 name=k, mode="lines", line=dict(color=c))
            for k, c in (("private", "#4575b4"), ("public", "#d73027"))]
    return {"data": data, "layout": _layout(f"Complaints about the focal firm ({SMOOTH_DAYS}-day totals)",
                                            "complaints", model)}


def profit_figure(model: LessonModel) -> dict:
    """Daily profit per firm (7-day mean)."""
    days = np.arange(1, model.recorder.day + 1)
    data = [dict(type="scatter", x=days, y=_window(_series(model, "profit", f), SMOOTH_DAYS, mean=True),
                 name=name, mode="lines")
            for f, name in enumerate(model.names)]
    return {"data": data, "layout": _layout(f"Profit per day ({SMOOTH_DAYS}-day mean)", "profit", model)}


_NETWORKS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def network_sample(model: LessonModel, size: int = NETWORK_NODES) -> dict:
    """A stable sample of at most `size` consumers and fixed positions, chosen once per model.

    A snowball from a seeded start, so neighbours (and word of mouth between them) stay visible; the
    choice uses its own generator seeded by the run's seed and never draws from the model's streams.
    The positions (Kamada-Kawai, or a seeded spring layout if the sample is not connected) are
    computed here, once; each day only colours and sizes change.
    """
    if model in _NETWORKS:
        return _NETWORKS[model]
    adj, n = model.world.adj, model.world.n
    rng = np.random.default_rng([model.seed, 6])
    if n <= size:
        nodes = np.arange(n)
    else:
        chosen, seen = [], np.zeros(n, dtype=bool)
        frontier: list[int] = []
        while len(chosen) < size:
            if not frontier:  # start (or restart, on a sparse network) from a random consumer
                start = int(rng.choice(np.flatnonzero(~seen)))
                seen[start] = True
                chosen.append(start)
                frontier = [start]
                continue
            nxt = []
            for u in frontier:
                for v in rng.permutation(adj.indices[adj.indptr[u]: adj.indptr[u + 1]]):
                    if not seen[v] and len(chosen) < size:
                        seen[v] = True
                        chosen.append(int(v))
                        nxt.append(int(v))
            frontier = nxt
        nodes = np.sort(np.array(chosen))
    sub = adj[nodes][:, nodes].tocoo()
    graph = nx.Graph()
    graph.add_nodes_from(range(len(nodes)))
    graph.add_edges_from((int(i), int(j)) for i, j in zip(sub.row, sub.col, strict=True) if i < j)
    if len(nodes) > 1 and nx.is_connected(graph):
        pos = nx.kamada_kawai_layout(graph)  # spreads a snowball evenly; about a second, once per model
    else:
        pos = nx.spring_layout(graph, seed=int(model.seed % 2**32), iterations=60)
    xy = np.array([pos[k] for k in range(len(nodes))])
    ends = np.array(list(graph.edges()), dtype=np.int64).reshape(-1, 2)
    gaps = np.full((len(ends), 1), np.nan)  # NaN separates the edges of one line trace
    edges = tuple(np.hstack([xy[ends[:, 0], k: k + 1], xy[ends[:, 1], k: k + 1], gaps]).ravel() for k in (0, 1))
    _NETWORKS[model] = sample = {"nodes": nodes, "xy": xy, "edges": edges}
    return sample


def network_figure(model: LessonModel) -> dict:
    """Consumers coloured by trust in the focal firm, sized by stress; today's public complainers ringed."""
    s, w = network_sample(model), model.world
    nodes, xy = s["nodes"], s["xy"]
    trust = w.trust(nodes)[:, 0]
    stress = w.stress[nodes]
    customer = w.provider[nodes] == 0
    text = [f"consumer {c}<br>trust {t:.2f}<br>stress {st:.2f}<br>{'customer' if cu else 'not a customer'}"
            for c, t, st, cu in zip(nodes, trust, stress, customer, strict=True)]
    posting = np.isin(nodes, w.public_posts) if w.public_posts is not None else np.zeros(len(nodes), bool)
    edges = dict(type="scatter", x=s["edges"][0], y=s["edges"][1], mode="lines", hoverinfo="skip",
                 line=dict(width=0.5, color="#bbbbbb"), showlegend=False)
    marker = dict(color=trust, cmin=0, cmax=1, colorscale="RdYlGn", showscale=True,
                  colorbar=dict(title=dict(text="trust"), thickness=10), size=7 + 40 * np.clip(stress, 0, 0.5),
                  symbol=np.where(customer, "circle", "circle-open"), line=dict(width=0.5, color="#555"))
    consumers = dict(type="scatter", x=xy[:, 0], y=xy[:, 1], mode="markers", marker=marker, text=text,
                     hoverinfo="text", name="consumers", showlegend=False)
    complaining = dict(type="scatter", x=xy[posting, 0], y=xy[posting, 1], mode="markers", hoverinfo="skip",
                       name="complains in public today",
                       marker=dict(symbol="circle-open", size=18, color="#d73027", line=dict(width=2)))
    title = (f"Consumer network ({len(nodes)} of {w.n}): colour trust in the focal firm, size stress; "
             "filled = its customers")
    layout = dict(title=dict(text=title, x=0.02, font=dict(size=13)), height=420,
                  margin=dict(l=10, r=70, t=36, b=10), uirevision="network", dragmode=False, plot_bgcolor="white",
                  xaxis=dict(visible=False), yaxis=dict(visible=False, scaleanchor="x"),
                  legend=dict(orientation="h", y=-0.02, x=0))
    data = [edges, consumers, complaining]
    return {"data": data, "layout": layout}


FIGURES = {"customers": customers_figure, "relationship": relationship_figure, "complaints": complaints_figure,
           "profit": profit_figure, "network": network_figure}


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
    report ever came) or if it has not reported within STALE_DRAW_S, every update is sent.
    """
    widget._relsim_on_ready = on_ready
    if not hasattr(widget, "_relsim_drawn"):
        widget._relsim_drawn, widget._relsim_pending, widget._relsim_sent_at = -1, False, 0.0
        widget.observe(lambda change: _browser_drew(widget, change), names=["_js2py_traceDeltas"])
    waiting = 0 <= widget._relsim_drawn < widget._last_trace_edit_id
    if waiting and time.monotonic() - widget._relsim_sent_at < STALE_DRAW_S:
        widget._relsim_pending = True
        return
    widget._relsim_pending = False
    _send(widget, spec())


def _chart(build):
    """A SolaraViz component that redraws the figure `build(model)` each day."""

    @solara.component
    def Chart(model):
        update_counter.get()
        drawn = solara.use_reactive(0)  # counts the browser's "done drawing" signals that asked for more
        element = ResponsiveFigure.element()

        def ask_again():
            drawn.value += 1

        solara.use_effect(lambda: redraw(solara.get_widget(element), lambda: build(model), ask_again),
                          [model, model.recorder.day, drawn.value])
        return solara.v.Html(tag="div", style_="width: 100%", children=[ResizeNudge.element(), element])

    Chart.__name__ = build.__name__.replace("_figure", "").title() + "Chart"
    return Chart


COMPONENTS = [(_chart(f), 0) for f in FIGURES.values()]


@solara.component
def StatusBanner(model: LessonModel):
    """Today's figures for the focal firm and the captions of what happened so far."""
    update_counter.get()
    latest = model.recorder.latest
    day = model.recorder.day
    with solara.Card(style="margin: 8px 10px 0 10px"):
        if model.what_if == LESSON:
            solara.Text(f"Lesson: {LESSON}. {lesson_intro(model.firms[0].strategy)}", style="font-size: 14px")
        if day:
            with solara.Row(style="flex-wrap: wrap; gap: 18px; font-size: 16px"):
                solara.Text(f"Day {day}", classes=["relsim-day"])
                solara.Text(f"customers {latest('customers'):.0f}", classes=["relsim-customers"])
                solara.Text(f"mean trust {latest('mean_trust'):.3f}", classes=["relsim-trust"])
                solara.Text(f"intimacy {latest('mean_intimacy'):.3f}", classes=["relsim-intimacy"])
                solara.Text(f"stress {latest('mean_stress'):.3f}", classes=["relsim-stress"])
        else:
            solara.Text("Day 0: press Step or ▶ (Play) in the sidebar.", classes=["relsim-day"])
        captions = list(model.captions)
        if captions:
            last = captions[-1]
            solara.Info(f"Day {last.day}: {last.text}", classes=["relsim-caption"])
            if len(captions) > 1:
                with solara.Column(gap="2px", style="max-height: 130px; overflow-y: auto; font-size: 13px"):
                    for c in reversed(captions[:-1]):
                        solara.Text(f"Day {c.day}: {c.text}", classes=["relsim-earlier-caption"])


@solara.component
def LeverCard(model: solara.Reactive, overrides: solara.Reactive):
    """Sliders for the focal firm's levers; they act on the running model and carry over a Reset."""
    current = model.value

    def apply():
        if current.levers != overrides.value:
            current.set_levers(overrides.value)
            force_update()  # show the change (and its caption) now, not at the next step

    solara.use_effect(apply, [current, overrides.value])
    strategy: Strategy = current.firms[0].strategy
    with solara.Card("Focal firm's levers (act at once)"):
        for name, (label, unit, lo, hi, step) in LEVER_SLIDERS.items():
            value = overrides.value.get(name, getattr(strategy, name))

            def set_value(v, name=name):
                overrides.set({**overrides.value, name: v})

            solara.Text(f"{label}: {value:g} {unit}", classes=[f"relsim-lever-{name}"],
                        style="font-size: 13px; margin-bottom: -14px")
            if isinstance(getattr(strategy, name), int):
                solara.SliderInt("", value=int(value), min=lo, max=hi, step=step, on_value=set_value)
            else:
                solara.SliderFloat("", value=float(value), min=lo, max=hi, step=step, on_value=set_value)
        with solara.Column(gap="0px"):
            solara.Button("Back to the preset's values", text=True, on_click=lambda: overrides.set({}),
                          disabled=not overrides.value)
            solara.Text("Preset, scenario, consumers and seed (below) take effect on Reset; these levers carry over.",
                        style="font-size: 12px; color: #666")


@solara.component
def Page(model: solara.Reactive | None = None):
    """The page: the lever card, the status banner and Mesa's SolaraViz with the charts."""
    own = solara.use_memo(lambda: solara.reactive(LessonModel()) if model is None else None, [])
    model = model if model is not None else own  # one model per browser session
    overrides = solara.use_reactive({})
    with solara.Column(style="padding: 0") as main:
        with solara.Sidebar():  # the levers come first in the sidebar, above SolaraViz's controls
            LeverCard(model, overrides)
        StatusBanner(model.value)
        SolaraViz(model, components=COMPONENTS, model_params=MODEL_PARAMS, play_interval=PLAY_INTERVAL_MS,
                  name="relsim: how a relationship decays")
    return main


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def main(argv: list[str] | None = None) -> int:
    """Serve the page (Solara on uvicorn) until Ctrl-C."""
    parser = argparse.ArgumentParser(prog="relsim-app", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST})")
    parser.add_argument("--port", default=str(DEFAULT_PORT), help=f"port (default {DEFAULT_PORT})")
    parser.add_argument("--allow-remote", action="store_true",
                        help="allow binding to an address other machines can reach (anything but loopback)")
    args = parser.parse_args(argv)
    if not args.port.isdigit() or not 1 <= int(args.port) <= 65535:
        print(f"relsim-app: error: --port={args.port}: expected an integer in [1, 65535]", file=sys.stderr)
        return 2
    if not _is_loopback(args.host) and not args.allow_remote:
        print(f"relsim-app: error: --host={args.host} is not a loopback address; add --allow-remote to serve "
              "the page to other machines", file=sys.stderr)
        return 2
    port = int(args.port)
    os.environ.update(SOLARA_APP="relsim.experiments.app", SERVER_NAME=args.host, SERVER_PORT=str(port),
                      SOLARA_TELEMETRY_MIXPANEL_ENABLE="False")
    import solara.server.settings as server_settings
    import uvicorn

    if "SOLARA_ASSETS_CDN" not in os.environ:
        # Everything the page loads ships with the app extra (solara-assets), so the page works without the
        # internet; an address that refuses at once keeps the server from ever asking a public CDN.
        solara.settings.assets.cdn = OFFLINE_CDN
    server_settings.telemetry.mixpanel_enable = False
    server_settings.main.mode = "production"
    server_settings.theme.title = "relsim"
    server_settings.theme.show_banner = False
    url_host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"relsim-app: the educator's page is at http://{url_host}:{port}  (Ctrl-C to stop)", file=sys.stderr,
          flush=True)
    try:
        uvicorn.run("solara.server.starlette:app", host=args.host, port=port, log_level="warning")
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
