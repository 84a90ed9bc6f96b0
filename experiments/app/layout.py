"""The educator's page: a Mesa page of a `LessonModel` with levers, a status banner and charts.

It shows how a relationship decays (Fournier, Dobscha & Mick 1998, "Preventing the premature death
of relationship marketing"): a strategy preset and a what-if scenario, sliders for the focal firm's
levers that act on the running model, Play / Step / Reset, live charts of customers, trust, intimacy,
stress, complaints and profit, the consumer network coloured by trust, and captions of what just
happened. Like Mesa's own examples, this module holds no model logic: the model, its presets and the
captions are in experiments/app/lesson.py and sim/, the charts in experiments/app/charts.py. Solara
serves `Page` (SOLARA_APP=relsim.experiments.app.layout; see experiments/app/server.py).

The page is composed from Mesa's own controls (ModelController: Reset, Play, Step; ModelCreator: the
inputs of a new run) rather than SolaraViz, whose extras (a "Page 0" tab, a draggable grid, a "Use
Threads" box, a "Time" read-out beside our "Day") mean nothing to a class.
"""

from __future__ import annotations

import solara
from mesa.visualization.solara_viz import ModelController, ModelCreator
from mesa.visualization.utils import force_update, update_counter

from relsim.params import Strategy

from .charts import FIGURES, NOTES, chart_data
from .lesson import LEARNING, LESSON, NO_LEARNING, TEST_WINDOWS, LessonModel, lesson_intro, presets, what_ifs
from .live import ResizeNudge, ResponsiveFigure, redraw

#: Play's speed: the pause between days (the browser's drawing may make it slower; the charts then skip days).
SPEEDS = {"slow: 2 days a second": 500, "normal: up to 10 days a second": 100, "fast: as fast as it draws": 10}
NORMAL_SPEED = "normal: up to 10 days a second"
PLAY_INTERVAL_MS = SPEEDS[NORMAL_SPEED]  # pause between steps while playing (Mesa's default)
TITLE = "relsim: how a relationship decays"
#: A caption is highlighted while it is this recent (days); older ones are listed below it.
FRESH_CAPTION_DAYS = 30
SIDEBAR_PX = 330  # narrower than Solara's 400 px, so that the six charts fit beside it on a 1280 x 720 projector
PAGE_CSS = f"""
.v-navigation-drawer.solara-content-main {{ min-width: {SIDEBAR_PX}px !important; width: {SIDEBAR_PX}px !important; }}
.v-content.solara-content-main[style*="400px"] {{ padding-left: {SIDEBAR_PX}px !important; }}
"""

#: Inputs of a new run (Mesa's ModelCreator): they take effect on Reset.
MODEL_PARAMS = {
    "preset": {"type": "Select", "value": "one_way", "values": presets(), "label": "Strategy preset (focal firm)"},
    "what_if": {"type": "Select", "value": LESSON, "values": what_ifs(), "label": "Scenario"},
    "consumers": {"type": "Select", "value": 2000, "values": [500, 1000, 2000, 5000, 10000], "label": "Consumers"},
    "rng": {"type": "InputText", "value": "1", "label": "Seed (a whole number: which consumers, which network)"},
    "learning": {"type": "Select", "value": NO_LEARNING, "values": list(LEARNING),
                 "label": "Does the focal firm learn its levers (from the preset's)?"},
    "test_days": {"type": "Select", "value": TEST_WINDOWS[0], "values": list(TEST_WINDOWS),
                  "label": "Test-and-learn: days each test measures"},
}

#: The focal firm's levers on the page: label, unit, slider range and step (the values come from the preset).
LEVER_SLIDERS = {
    "mail_rate": ("Mail", "pieces per customer a year", 0, 365, 1),
    "email_rate": ("E-mail", "e-mails per customer a year", 0, 365, 1),
    "phone_rate": ("Calls", "(dinner-time) calls per customer a year", 0, 365, 1),
    "inbound_capacity": ("Inbound capacity", "(calls answered a day per 1,000 customers)", 0, 20, 0.5),
    "support_free_days": ("Support free for the first", "days", 0, 365, 5),
    "support_fee": ("Support fee", "per call after that", 0, 30, 1),
    "listening": ("Listening", "(share of complaints heard and answered)", 0, 1, 0.05),
    "responsiveness": ("Responsiveness", "(how much what is heard fixes the product)", 0, 1, 0.05),
}


def _chart(build, note: str = ""):
    """A component that redraws the figure `build(model)` each day, with a note on what its marks mean."""

    @solara.component
    def Chart(model):
        update_counter.get()
        drawn = solara.use_reactive(0)  # counts the browser's "done drawing" signals that asked for more
        element = ResponsiveFigure.element()

        def ask_again():
            drawn.value += 1

        solara.use_effect(lambda: redraw(solara.get_widget(element), lambda: build(model), ask_again),
                          [model, model.recorder.day, drawn.value])
        children = [ResizeNudge.element(), element] + ([solara.v.Html(tag="div", children=[note], class_="relsim-chart-note",
                                                style_="font-size: 12px; color: #555; margin: 0 10px")] if note else [])
        return solara.v.Html(tag="div", style_="width: 100%", children=children)

    Chart.__name__ = build.__name__.replace("_figure", "").title() + "Chart"
    return Chart


CHARTS = [_chart(f, NOTES.get(name, "")) for name, f in FIGURES.items()]


@solara.component
def ChartGrid(model: LessonModel):
    """The charts in two columns (the network, last, spans both)."""
    with solara.v.Html(tag="div", style_="display: grid; grid-template-columns: repeat(auto-fill, minmax(290px, 1fr)); "
                                         "gap: 4px 8px; padding: 4px 10px"):
        for chart in CHARTS:
            with solara.v.Html(tag="div", class_="relsim-chart"):
                chart(model)


@solara.component
def StatusBanner(model: LessonModel):
    """Today's figures for the focal firm and the captions of what happened so far."""
    update_counter.get()
    latest = model.recorder.latest
    day = model.recorder.day
    with solara.v.Sheet(elevation=2, class_="ma-2 px-3 py-2", style_="border-radius: 4px"):
        if model.what_if == LESSON and day == 0:
            solara.v.Html(tag="p", children=[f"Lesson: {LESSON}. {lesson_intro(model.firms[0].strategy)}"],
                          style_="font-size: 13px; line-height: 1.3; margin-bottom: 4px")
        if day:
            with solara.Row(style="flex-wrap: wrap; gap: 4px 18px; font-size: 15px; align-items: baseline"):
                solara.Text(f"Day {day}", classes=["relsim-day"])
                solara.Text(f"customers {latest('customers'):.0f}", classes=["relsim-customers"])
                solara.Text(f"mean trust {latest('mean_trust'):.3f}", classes=["relsim-trust"])
                solara.Text(f"intimacy {latest('mean_intimacy'):.3f}", classes=["relsim-intimacy"])
                solara.Text(f"stress {latest('mean_stress'):.3f}", classes=["relsim-stress"])
                solara.Text(" · ".join(model.names), classes=["relsim-firms"], style="font-size: 12px; color: #555")
            road = model.road_not_taken
            if road is not None:
                solara.Text(f"Dashed, 'unchanged': had it not changed course on day {model.changed_on} (the same "
                            f"seed, carried on unchanged): customers {road.recorder.latest('customers'):.0f}, "
                            f"mean trust {road.recorder.latest('mean_trust'):.3f}.", classes=["relsim-road"],
                            style="font-size: 13px")
        else:
            solara.Text("Day 0: press Step or ▶ (Play) in the sidebar.", classes=["relsim-day"])
        captions = list(model.captions)
        fresh = [c for c in captions if day - c.day < FRESH_CAPTION_DAYS]
        if fresh:  # the newest caption is highlighted only while it is news: an old one may no longer hold
            last = fresh[-1]
            solara.Info(f"Day {last.day}: {last.text}", dense=True, classes=["relsim-caption"])
        earlier = captions[:-1] if fresh else captions
        if earlier:
            with solara.Column(gap="0px", style="max-height: 34px; overflow-y: auto; font-size: 12px"):
                for c in reversed(earlier):
                    solara.Text(f"Day {c.day}: {c.text}", classes=["relsim-earlier-caption"])


@solara.component
def SpeedSelect(play_interval: solara.Reactive):
    """Play's speed: sets the pause between days of Mesa's ModelController (`play_interval`, in ms)."""
    chosen = next((name for name, ms in SPEEDS.items() if ms == play_interval.value), NORMAL_SPEED)
    solara.Select("Speed of Play", values=list(SPEEDS), value=chosen, on_value=lambda name: play_interval.set(SPEEDS[name]),
                  dense=True, classes=["relsim-speed"], style="margin-top: 14px")


@solara.component
def DataDownload(model: LessonModel):
    """A button that downloads the charts' data so far (CSV: one row per day and firm, and the road not taken)."""
    update_counter.get()
    day = model.recorder.day
    solara.FileDownload(lambda: chart_data(model), filename=f"relsim-seed{model.seed}-day{day}.csv",
                        label="Charts' data (CSV)", mime_type="text/csv")


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
    """The page: levers, Mesa's run controls and the new run's inputs in the sidebar; the day's figures,
    the captions and the charts in the main column."""
    own = solara.use_memo(lambda: solara.reactive(LessonModel()) if model is None else None, [])
    model = model if model is not None else own  # one model per browser session
    overrides = solara.use_reactive({})
    inputs = solara.use_reactive({})  # the new run's inputs, taken by Reset
    play_interval, render_interval, threads = (solara.use_reactive(PLAY_INTERVAL_MS), solara.use_reactive(1),
                                               solara.use_reactive(False))
    with solara.Column(style="padding: 0", gap="0px") as main:
        solara.Title(TITLE)
        solara.Style(PAGE_CSS)
        with solara.AppBar():
            solara.AppBarTitle(TITLE)
        with solara.Sidebar():
            with solara.Card("Run"):
                ModelController(model, model_parameters=inputs, play_interval=play_interval,
                                render_interval=render_interval, use_threads=threads)
                SpeedSelect(play_interval)
                DataDownload(model.value)
            LeverCard(model, overrides)
            with solara.Card("A new run (on Reset)"):
                ModelCreator(model, MODEL_PARAMS, model_parameters=inputs)
        StatusBanner(model.value)
        ChartGrid(model.value)
    return main
