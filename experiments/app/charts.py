"""The educator's live charts: plotly figure specs (plain dicts) of a running `LessonModel`.

Customers, trust / intimacy / stress, complaints and profit by day, and the consumer network
coloured by trust. Each function reads the model's recorder and world and builds a fresh spec; the
page (experiments/app/layout.py) sends it to the browser through experiments/app/live.py. Colours
come from the shared figure kit (analysis/figures.py), and each means one thing across the page
(`PAGE_COLORS`): green is trust, wherever it is drawn, and red is a public complaint. The levers chart
shows what the sliders set or, when the focal firm learns, what it chose.
"""

from __future__ import annotations

import csv
import io

import numpy as np

from relsim.analysis.figures import COLORS
from relsim.recorder import column as recorded

from .lesson import LessonModel
from .network import network_sample

CHART_HEIGHT = 240  # px: two rows of three fit beside the sidebar on a 1280 x 720 projector
SMOOTH_DAYS = 7  # complaints are 7-day totals, profit a 7-day mean
X_BLOCK = 30  # days: the charts' x axis grows by this much at a time

#: One colour per meaning on the whole page: the firms (focal, then rivals), the relationship measures and
#: the two kinds of complaint. The network's colour scale runs from grey (no trust) to trust's green.
PAGE_COLORS = {"focal": COLORS["purple"], "rivals": (COLORS["grey"], COLORS["black"]),
               "trust": COLORS["good"], "intimacy": COLORS["cool"], "stress": COLORS["orange"],
               "private": COLORS["brown"], "public": COLORS["bad"], "levers": COLORS["cyan"],
               "capacity": COLORS["pink"], "fee": COLORS["olive"]}
#: The road not taken (the run carried on without the change of course) is drawn dashed, in its measure's colour.
ROAD_DASH = "dash"
ROAD_NAME = "unchanged"  # its legend entry (short: the page's banner says what it is)
TRUST_SCALE = [[0.0, "#e8e8e8"], [1.0, PAGE_COLORS["trust"]]]
#: A note shown under a chart (what its marks mean), by chart name.
NOTES = {"network": "Colour: trust in the focal firm (grey none, green full). Size: stress. Filled: a customer of "
                    "the focal firm. Red ring: complains in public today."}


def legend_names(model: LessonModel) -> list[str]:
    """The firms' names in a chart's legend, short so that it fits one row: focal, rival (rival 1, rival 2, ...);
    the banner above the charts names their strategies."""
    rivals = len(model.names) - 1
    return ["focal", *(["rival"] if rivals == 1 else [f"rival {k}" for k in range(1, rivals + 1)])]


def firm_color(firm: int) -> str:
    """The colour of a firm on the page: the focal firm's, then the rivals' in turn."""
    rivals = PAGE_COLORS["rivals"]
    return PAGE_COLORS["focal"] if firm == 0 else rivals[(firm - 1) % len(rivals)]


def _series(model: LessonModel, column: str, firm: int = 0) -> np.ndarray:
    """The recorded daily values of `column` for `firm`, day 1 to today."""
    rec = model.recorder
    return rec.values[: rec.day, firm, recorded(column)]


def _mode(model: LessonModel) -> dict:
    """Lines, with a dot on each day for the first month: a line of one day draws nothing."""
    early = model.recorder.day <= X_BLOCK
    return dict(mode="lines+markers" if early else "lines", marker=dict(size=5 if early else 0))


def _road(model: LessonModel, column: str, color: str, transform=None) -> list[dict]:
    """The road not taken for `column` of the focal firm, from the day of the change of course (none before one)."""
    road = model.road_not_taken
    if road is None or model.changed_on is None:
        return []
    first = model.changed_on  # the last day both runs share
    y = _series(road, column)
    y = transform(y) if transform else y
    return [dict(type="scatter", x=np.arange(first, road.recorder.day + 1), y=y[first - 1:],
                 name=ROAD_NAME, mode="lines",
                 line=dict(color=color, dash=ROAD_DASH, width=1.5))]


def nice_top(value: float) -> float:
    """A round upper end for an axis from 0 that holds `value`: 1, 2, 2.5 or 5 times a power of ten (1 for 0)."""
    if not np.isfinite(value) or value <= 0:
        return 1.0
    power = 10.0 ** np.floor(np.log10(value))
    return float(next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= value * (1 - 1e-9)))


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
    started = model.recorder.day > 0
    # Before day 1 there is nothing to scale to: a fixed, unlabelled y axis and a hint instead of plotly's -1 to 4.
    # The same keys are set afterwards, because a live figure only receives the properties that change.
    yaxis = dict(title=dict(text=ytitle), autorange=started, range=[0, 1], showticklabels=started)
    hint = [] if started else [dict(text="press Step or ▶", showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5,
                                     font=dict(size=13, color=COLORS["grey"]))]
    layout = dict(title=dict(text=title, x=0.02, font=dict(size=13)), height=CHART_HEIGHT,
                  margin=dict(l=45, r=10, t=28, b=20), xaxis=dict(title=dict(text="day", standoff=2), range=[0, days]),
                  yaxis=yaxis, uirevision=title, legend=dict(orientation="h", y=-0.2, x=0, font=dict(size=10), itemwidth=30),
                  dragmode=False, annotations=hint)
    return {**layout, **extra}


def customers_figure(model: LessonModel) -> dict:
    """Customers per firm, by day."""
    days = np.arange(1, model.recorder.day + 1)
    data = [dict(type="scatter", x=days, y=_series(model, "customers", f), name=name, **_mode(model),
                 line=dict(color=firm_color(f))) for f, name in enumerate(legend_names(model))]
    return {"data": data + _road(model, "customers", firm_color(0)),
            "layout": _layout("Customers per firm", "customers", model)}


def relationship_figure(model: LessonModel) -> dict:
    """Mean trust, intimacy and stress of the focal firm's customers, by day."""
    days = np.arange(1, model.recorder.day + 1)
    data = [dict(type="scatter", x=days, y=_series(model, f"mean_{k}"), name=k, **_mode(model),
                 line=dict(color=PAGE_COLORS[k])) for k in ("trust", "intimacy", "stress")]
    return {"data": data + _road(model, "mean_trust", PAGE_COLORS["trust"]), "layout": _layout("Focal firm's customers: trust, intimacy, stress", "mean", model,
                                            yaxis=dict(title=dict(text="mean"), range=[0, 1], autorange=False,
                                                       showticklabels=True))}


def complaints_figure(model: LessonModel) -> dict:
    """Private and public complaints about the focal firm (7-day totals)."""
    days = np.arange(1, model.recorder.day + 1)
    data = [dict(type="scatter", x=days, y=_window(_series(model, f"complaints_{k}"), SMOOTH_DAYS, mean=False),
                 name=k, **_mode(model), line=dict(color=PAGE_COLORS[k]))
            for k in ("private", "public")]
    return {"data": data, "layout": _layout(f"Complaints about the focal firm ({SMOOTH_DAYS}-day totals)",
                                            "complaints", model)}


def profit_figure(model: LessonModel) -> dict:
    """Daily profit per firm (7-day mean)."""
    days = np.arange(1, model.recorder.day + 1)
    data = [dict(type="scatter", x=days, y=_window(_series(model, "profit", f), SMOOTH_DAYS, mean=True),
                 name=name, **_mode(model), line=dict(color=firm_color(f)))
            for f, name in enumerate(legend_names(model))]
    return {"data": data, "layout": _layout(f"Profit per day ({SMOOTH_DAYS}-day mean)", "profit", model)}


#: Levers drawn only when a test-and-learn firm's menu holds them: name, legend, axis, colour, dash.
TESTED_LEVERS = (("email_rate", "e-mails a year", "y", PAGE_COLORS["levers"], "dot"),
                 ("nuisance_fee", "monthly fee", "y2", PAGE_COLORS["fee"], "dot"))


def levers_figure(model: LessonModel) -> dict:
    """The focal firm's mail and calls a year (left axis), support capacity and support fee (right axis), by day:
    what the sliders set, or what a learning firm chose (a test-and-learn firm: the changes it adopted for everyone,
    with its e-mails and monthly fee when its tests move them; a test's own cell is not drawn)."""
    days = np.arange(1, model.recorder.day + 1)
    names = {"mail_rate": ("mail a year", "y"), "phone_rate": ("calls a year", "y"),
             "inbound_capacity": ("support capacity", "y2"), "support_fee": ("support fee", "y2")}
    # one colour a lever, the contacts' in cyan (the calls dashed beside the mail)
    colors = {"mail_rate": PAGE_COLORS["levers"], "phone_rate": PAGE_COLORS["levers"],
              "inbound_capacity": PAGE_COLORS["capacity"], "support_fee": PAGE_COLORS["fee"]}
    dashes = {"phone_rate": "longdash"}
    tested = model.tester.policy.menu if model.tester is not None else {}
    for k, label, axis, color, dash in TESTED_LEVERS:  # the levers only a test-and-learn firm's tests move
        if k in tested:
            names[k], colors[k], dashes[k] = (label, axis), color, dash
    series = {k: _series(model, k) for k in names}
    data = [dict(type="scatter", x=days, y=series[k], name=label, yaxis=axis, **_mode(model),
                 line=dict(color=colors[k], shape="hv", dash=dashes.get(k, "solid")))
            for k, (label, axis) in names.items()]
    # Round axes from 0 (a lever that never moves would otherwise get ticks like 0.962 around its value)
    top = nice_top(max(float(np.nanmax(series[k], initial=0.0)) for k, (_, a) in names.items() if a == "y") * 1.1)
    top2 = nice_top(max(float(np.nanmax(series[k], initial=0.0)) for k, (_, a) in names.items() if a == "y2") * 1.1)
    started = model.recorder.day > 0
    title = ("The focal firm's levers" + (" (adopted by its tests)" if model.tester is not None
                                          else " (learning)" if model.learners else ""))
    layout = _layout(title, "contacts a year", model,
                     yaxis2=dict(title=dict(text="capacity, fee"), overlaying="y", side="right", range=[0, top2],
                                 autorange=False, showgrid=False, showticklabels=started))
    layout["yaxis"].update(range=[0, top], autorange=False)
    return {"data": data, "layout": layout}


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
                 line=dict(width=0.5, color=COLORS["edge"]), showlegend=False)
    marker = dict(color=trust, cmin=0, cmax=1, colorscale=TRUST_SCALE, showscale=True,
                  colorbar=dict(title=dict(text="trust"), thickness=10), size=7 + 40 * np.clip(stress, 0, 0.5),
                  symbol=np.where(customer, "circle", "circle-open"), line=dict(width=0.5, color=COLORS["outline"]))
    consumers = dict(type="scatter", x=xy[:, 0], y=xy[:, 1], mode="markers", marker=marker, text=text,
                     hoverinfo="text", name="consumers", showlegend=False)
    complaining = dict(type="scatter", x=xy[posting, 0], y=xy[posting, 1], mode="markers", hoverinfo="skip",
                       name="complains in public today",
                       marker=dict(symbol="circle-open", size=18, color=PAGE_COLORS["public"], line=dict(width=2)))
    title = f"Consumer network ({len(nodes):,} of {w.n:,} consumers)"
    layout = dict(title=dict(text=title, x=0.02, font=dict(size=13)), height=CHART_HEIGHT,
                  margin=dict(l=5, r=50, t=28, b=5), uirevision="network", dragmode=False, plot_bgcolor="white",
                  xaxis=dict(visible=False), yaxis=dict(visible=False, scaleanchor="x"),
                  legend=dict(orientation="h", y=-0.02, x=0))
    data = [edges, consumers, complaining]
    return {"data": data, "layout": layout}


def chart_data(model: LessonModel) -> str:
    """The charts' data as CSV: one row per day and firm (and the road not taken after a change of course), with
    what the line charts draw (daily values; the page's 7-day windows are computed from them)."""
    columns = ("customers", "mean_trust", "mean_intimacy", "mean_stress", "complaints_private", "complaints_public",
               "profit", "mail_rate", "email_rate", "phone_rate", "inbound_capacity", "support_fee")
    runs = [(name, model, f) for f, name in enumerate(model.names)]
    if model.road_not_taken is not None:
        runs.append((f"{model.names[0]}, had it not changed course on day {model.changed_on}", model.road_not_taken,
                     0))
    text = io.StringIO()
    table = csv.writer(text, lineterminator="\n")  # a firm's name may hold a comma: quoted
    table.writerow(["day", "firm", *columns])
    for name, run, firm in runs:
        values = {c: _series(run, c, firm) for c in columns}
        for day in range(run.recorder.day):
            table.writerow([day + 1, name, *(f"{values[c][day]:.6g}" for c in columns)])
    return text.getvalue()


FIGURES = {"customers": customers_figure, "relationship": relationship_figure, "complaints": complaints_figure,
           "profit": profit_figure, "levers": levers_figure, "network": network_figure}


