"""The educator's page without a browser: the lesson's captions, the page model, and the page's components
rendered with solara.render (the way Mesa's own tests/visualization test SolaraViz).

The browser test (tests/test_browser.py) drives the same page in a real Chromium.
"""

from __future__ import annotations

import dataclasses
import io
import re
import shutil

import ipyvuetify as vw
import numpy as np
import pandas as pd
import pytest
import solara
import yaml
from mesa.visualization.solara_viz import ModelController, ModelCreator
from plotly.graph_objs import FigureWidget

from relsim.experiments.plumbing import config
from relsim.experiments.app import charts, layout, lesson, live, network, server
from relsim.experiments.app.lesson import LESSON, NONE, LessonModel, LessonState, new_captions
from relsim.model import RelationshipModel
from relsim.recorder import COLUMNS

CONFIG = config.CONFIG_DIR


def preset(name: str) -> dict:
    """A strategy preset as its YAML file has it (the page must use these values, not copies)."""
    data = yaml.safe_load((CONFIG / "strategy" / f"{name}.yaml").read_text())
    return {k: v for k, v in data.items() if k != "defaults"}  # Hydra's defaults list is not a Strategy field


def run(model, days: int):
    for _ in range(days):
        model.step()
    return model


def kinds(captions) -> list[str]:
    return [c.kind for c in captions]


# --- the page model -------------------------------------------------------------------------------------


def test_presets_and_scenarios_come_from_the_config_folders():
    assert set(lesson.presets()) == {p.stem for p in (CONFIG / "strategy").glob("*.yaml")}
    assert {"one_way", "reciprocal", "hybrid"} <= set(lesson.presets())
    offered = lesson.what_ifs()
    assert offered[:2] == [NONE, LESSON]
    for path in (CONFIG / "scenario").glob("*.yaml"):
        if path.stem != "baseline":  # every what-if is offered; the audit's switch-offs are not
            assert (path.stem in offered) != path.stem.startswith("off_")
    assert layout.MODEL_PARAMS["preset"]["values"] == lesson.presets()
    assert layout.MODEL_PARAMS["what_if"]["values"] == offered
    assert tuple(layout.LEVER_SLIDERS) == lesson.LEVERS


def test_lesson_model_plays_the_preset_plus_scenario_plus_levers():
    one_way = preset("one_way")
    plain = LessonModel(preset="one_way", what_if=NONE, consumers=300, rng=3)
    assert plain.firms[0].strategy.mail_rate == one_way["mail_rate"]
    assert plain.firms[0].strategy.listening == one_way["listening"]
    decay = LessonModel(preset="one_way", what_if=LESSON, consumers=300, rng=3)
    assert decay.firms[0].strategy.mail_rate == lesson.LESSON_FOCAL["mail_rate"]
    assert decay.firms[0].strategy.phone_rate == one_way["phone_rate"]
    by_hand = LessonModel(preset="reciprocal", what_if=LESSON, consumers=300, rng=3, listening=0.1)
    assert by_hand.firms[0].strategy.listening == 0.1
    assert by_hand.firms[0].strategy.inbound_capacity == preset("reciprocal")["inbound_capacity"]
    assert by_hand.world.firms.listening[0] == 0.1
    # the same seed gives the same consumers whatever the strategy (common random numbers)
    assert np.array_equal(plain.world.traits.contact_capacity, by_hand.world.traits.contact_capacity)


def test_scenario_files_change_the_focal_firm_and_the_market(tmp_path, monkeypatch, request):
    configs = tmp_path / "configs"
    shutil.copytree(CONFIG, configs, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.rmtree(configs / "scenario")
    (configs / "scenario").mkdir()
    (configs / "scenario" / "crisis.yaml").write_text(
        "# @package scenario.crisis\ndescription: a test crisis\nset: {listening: 0.9}\nscale: {mail_rate: 0.5}\n"
        "market: {shock: {day: 5, share: 0.2}}\ncontrasts: {deaf: {set: {listening: 0.0}}}\n")
    monkeypatch.setattr(config, "CONFIG_DIR", configs)  # the one loader reads the configs from here
    lesson._scenario_files.cache_clear()
    request.addfinalizer(lesson._scenario_files.cache_clear)
    assert lesson.what_ifs() == [NONE, LESSON, "crisis", "crisis:deaf"]
    model = LessonModel(preset="one_way", what_if="crisis", consumers=300, rng=1)
    assert model.firms[0].strategy.listening == 0.9
    assert model.firms[0].strategy.mail_rate == preset("one_way")["mail_rate"] * 0.5
    assert model.market.shock.day == 5 and model.market.shock.share == 0.2
    assert LessonModel(preset="one_way", what_if="crisis:deaf", consumers=300).firms[0].strategy.listening == 0.0


@pytest.mark.parametrize("kwargs, key", [({"preset": "nope"}, "preset"), ({"what_if": "nope"}, "scenario"),
                                         ({"rng": "abc"}, "seed"), ({"listening": 2.0}, "focal.listening")])
def test_bad_page_input_is_one_clear_error(kwargs, key):
    with pytest.raises(lesson.ConfigError, match=re.escape(key)):
        LessonModel(consumers=200, **kwargs)


def test_levers_act_on_the_running_model_from_the_next_day():
    model = run(LessonModel(consumers=1000, rng=2), 20)
    contacts = model.recorder.values[:, 0, list(COLUMNS).index("contacts")]
    before = contacts[10:20].mean()
    model.set_levers({"mail_rate": 0.0, "phone_rate": 0.0})
    assert model.firms[0].strategy.mail_rate == 0.0 and model.world.firms.mail_rate[0] == 0.0
    assert model.firms[0].strategy.listening == preset("one_way")["listening"]  # the rest of the strategy stays
    assert model.captions[-1].kind == "levers" and "mail rate 156 → 0" in model.captions[-1].text
    assert "phone rate 12 → 0" in model.captions[-1].text
    run(model, 10)
    assert contacts[20:30].mean() < before / 3  # only prospects are contacted now
    model.set_levers({})  # back to the preset + scenario
    assert model.firms[0].strategy == model.base_focal


def test_dragging_a_slider_leaves_one_caption_per_day():
    model = run(LessonModel(consumers=300, rng=2), 3)
    for value in (150.0, 120.0, 90.0):
        model.set_levers({"mail_rate": value})
    levers = [c for c in model.captions if c.kind == "levers"]
    assert len(levers) == 1 and "mail rate 156 → 90" in levers[0].text


def test_the_focal_firm_can_learn_on_the_page_and_its_choices_are_drawn_and_captioned():
    # a hill climber tries a move every month (a bandit, exploring the settings next to its best 10% of the time,
    # may play its starting setting for months)
    choice = "step by step (hill climbing), for this month's profit"
    model = run(LessonModel(consumers=300, rng=2, learning=choice), 95)
    assert [learner.firm for learner in model.learners] == [0]
    learned = [c for c in model.captions if c.kind == "learning"]
    assert learned and all(c.day in (30, 60, 90) for c in learned)  # a decision ends each month
    assert "The firm learns" in learned[-1].text
    spec = charts.levers_figure(model)
    assert [t["name"] for t in spec["data"]] == ["mail a year", "calls a year", "support capacity", "support fee"]
    assert len({(t["line"]["color"], t["line"]["dash"]) for t in spec["data"]}) == 4  # one colour (or dash) a lever
    assert len(set(spec["data"][0]["y"])) > 1  # the mail rate the hill climber tried changed over the months
    assert "learning" in spec["layout"]["title"]["text"]
    still = run(LessonModel(consumers=300, rng=2), 95)  # without learning the levers stay as set
    assert not still.learners and len(set(charts.levers_figure(still)["data"][0]["y"])) == 1


def test_a_bad_learning_choice_is_one_clear_error():
    with pytest.raises(lesson.ConfigError, match="learning"):
        LessonModel(consumers=200, learning="genetic")


# --- a test-and-learn firm on the page --------------------------------------------------------------------

TEST_AND_LEARN = "by randomised tests (test-and-learn), for the profit a test measures"


def test_the_test_and_learn_choice_builds_the_presets_policy():
    from relsim.learning import TestAndLearn

    menu = yaml.safe_load((CONFIG / "firm_policy" / "test_and_learn.yaml").read_text())["menu"]
    for choice, objective in ((TEST_AND_LEARN, "profit"),
                              ("by randomised tests (test-and-learn), for profit plus the customers kept", "horizon")):
        for days in lesson.TEST_WINDOWS:
            policy = lesson.page_policy(choice, days)
            assert (policy.rule, policy.objective, policy.period_days) == ("test_and_learn", objective, days)
            assert policy == dataclasses.replace(config.load(["firm_policy=test_and_learn"]).policy,
                                                 objective=objective, period_days=days)
            assert policy.menu == menu  # the preset's menu, read through the config path, not a copy
    assert lesson.page_policy(lesson.NO_LEARNING, 90).rule == "fixed"  # the window matters only to test-and-learn
    model = LessonModel(preset="reciprocal", what_if=NONE, consumers=300, rng=2, learning=TEST_AND_LEARN,
                        test_days=90)
    [learner] = model.learners
    assert isinstance(learner, TestAndLearn) and learner.firm == 0 and learner.policy.period_days == 90
    assert model.firms[0].strategy == model.base_focal  # it starts from the preset's levers
    assert model.base_focal.inbound_capacity == preset("reciprocal")["inbound_capacity"]
    assert layout.MODEL_PARAMS["test_days"]["values"] == list(lesson.TEST_WINDOWS)
    assert layout.MODEL_PARAMS["test_days"]["value"] == 30
    assert TEST_AND_LEARN in layout.MODEL_PARAMS["learning"]["values"]
    assert layout.MODEL_PARAMS["learning"]["value"] == lesson.NO_LEARNING  # off by default


@pytest.mark.parametrize("days", [0, 4000, 30.5, "30", True])
def test_a_bad_test_window_is_one_clear_error(days):
    with pytest.raises(lesson.ConfigError, match=r"^test_days=.*: expected a whole number of days in \[1, 3650\]$"):
        LessonModel(consumers=200, learning=TEST_AND_LEARN, test_days=days)


@pytest.fixture(scope="module")
def tested_run():
    """A reciprocal firm that tests (2,000 consumers, seed 3, 30-day tests), 61 days: two tests win."""
    return run(LessonModel(preset="reciprocal", what_if=NONE, consumers=2000, rng=3, learning=TEST_AND_LEARN), 61)


def test_each_test_is_captioned_when_it_starts_and_when_it_ends(tested_run):
    model = tested_run
    tests = model.tests()
    assert list(tests.columns) == list(RelationshipModel.tests(model).columns)
    assert list(tests["end_day"]) == [30, 60] and tests["adopted"].all()  # this run's two tests both win
    starts = [c for c in model.captions if c.kind == "test_start"]
    ends = [c for c in model.captions if c.kind == "test_end"]
    assert [c.day for c in starts] == [0, 30, 60] and [c.day for c in ends] == [30, 60]
    assert starts[0].text.startswith("Test 1 starts: support for 4 calls a day per 1,000 customers (now 8) for half "
                                     "of the customers")
    assert "judged on what each brings in the next 30 days" in starts[0].text
    for row, start, end in zip(tests.itertuples(), starts, ends, strict=False):
        words = lesson.lever_words(row.lever, row.to)
        assert words in start.text and f"(now {getattr(row, '_6'):g})" in start.text  # `from` is a keyword
        assert f"{row.treatment_customers:,} drawn at random (the other {row.control_customers:,}" in start.text
        assert end.text == (f"The 30-day test of {words} (was {getattr(row, '_6'):g}) on half of the customers "
                            f"brought {row.effect:.2f} more per customer than the control (z = {row.z:.1f}): "
                            "adopted for everyone.")
    assert ends[0].text == ("The 30-day test of support for 4 calls a day per 1,000 customers (was 8) on half of the "
                            "customers brought 1.14 more per customer than the control (z = 2.2): adopted for "
                            "everyone.")
    assert not [c for c in model.captions if c.kind == "learning"]  # the tests' captions say what changed
    # adopted for everyone from the next day: the levers chart draws the change
    spec = {t["name"]: t["y"] for t in charts.levers_figure(model)["data"]}
    assert list(spec["support capacity"][[0, 29, 30, 60]]) == [8, 8, 4, 4]
    assert list(spec["monthly fee"][[0, 59, 60]]) == [0, 0, 2]
    assert model.firms[0].strategy.inbound_capacity == 4 and model.firms[0].strategy.nuisance_fee == 2
    assert "adopted by its tests" in charts.levers_figure(model)["layout"]["title"]["text"]


def test_a_test_that_loses_or_is_unsure_says_so():
    policy = lesson.page_policy(TEST_AND_LEARN, 90)
    row = {"start_day": 0, "end_day": 90, "lever": "mail_rate", "from": 6.0, "to": 26.0, "effect": 0.74, "z": 1.83,
           "adopted": False}
    assert lesson.test_ended(row, policy) == (
        "The 90-day test of 26 pieces of mail a year (was 6) on half of the customers brought 0.74 more per customer "
        "than the control (z = 1.8): not sure enough (z must pass 1.96): not adopted.")
    lost = lesson.test_ended({**row, "lever": "support_fee", "to": 5.0, "effect": -0.2, "z": -0.5}, policy)
    assert "a support fee of 5 a call (was 6)" in lost and "0.20 less per customer" in lost
    assert lost.endswith("(z = -0.5): not adopted.")
    horizon = lesson.page_policy("by randomised tests (test-and-learn), for profit plus the customers kept", 30)
    assert "was worth 0.74 more per customer than the control (profit plus the customers kept" in lesson.test_ended(
        row, horizon)


def test_test_and_learn_on_the_page_is_deterministic_and_the_road_not_taken_tests_too():
    def made():
        return LessonModel(preset="reciprocal", what_if=NONE, consumers=500, rng=4, learning=TEST_AND_LEARN)

    a, b = run(made(), 45), run(made(), 45)
    assert a.captions == b.captions and a.tests().equals(b.tests()) and len(a.tests()) == 1
    assert np.array_equal(a.recorder.values[:45], b.recorder.values[:45], equal_nan=True)
    a.set_levers({"mail_rate": 26})  # a change of course by hand on day 45
    run(a, 20)
    road, untouched = a.road_not_taken, run(b, 20)
    assert a.changed_on == 45 and road.tester is not None  # the same firm, still testing, without the reform
    assert road.tests().equals(untouched.tests()) and len(road.tests()) == 2
    assert np.array_equal(road.recorder.values[:65], untouched.recorder.values[:65], equal_nan=True)
    assert [c for c in road.captions if c.kind.startswith("test")] == [
        c for c in untouched.captions if c.kind.startswith("test")]


# --- captions: detected from the run ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def decay_run():
    """The lesson as the page starts it (2,000 consumers, seed 1), 120 days, with a daily record."""
    model = LessonModel(consumers=2000, rng=1)
    w = model.world
    overloaded_share = []
    for _ in range(120):
        model.step()
        customers = w.provider == 0
        overloaded_share.append(float((w.load[customers] > w.traits.contact_capacity[customers]).mean()))
    return model, np.array(overloaded_share)


def test_decay_lesson_captions_name_the_days_they_happened(decay_run):
    model, share = decay_run
    captions = {c.kind: c for c in model.captions}
    assert {"overload", "distrust", "public_complaint"} <= set(captions)
    days = np.arange(1, 121)
    col = list(COLUMNS)
    trust = model.recorder.values[:120, 0, col.index("mean_trust")]
    public = model.recorder.values[:120, 0, col.index("complaints_public")]
    assert captions["overload"].day == days[share > lesson.OVERLOAD_ON][0]
    assert captions["distrust"].day == days[trust < lesson.TRUST_LOW][0]
    assert captions["public_complaint"].day == days[public > 0][0]
    assert f"{np.floor(trust[captions['distrust'].day - 1] * 1000) / 1000:.3f}" in captions["distrust"].text
    heard, lower = map(int, re.search(r"(\d+) neighbours hear it, and (\d+) of them", captions["public_complaint"].text)
                       .groups())
    assert 0 <= lower <= heard
    # in this order: contacts pile up before the average customer turns against the firm
    assert captions["overload"].day < captions["distrust"].day
    assert kinds(model.captions).count("overload") == 1


def test_captions_differ_with_the_run_not_a_script(decay_run):
    model, _ = decay_run
    other = run(LessonModel(consumers=2000, rng=2), 120)
    assert [(c.day, c.kind) for c in other.captions] != [(c.day, c.kind) for c in model.captions[:len(other.captions)]]
    gentle = run(LessonModel(preset="reciprocal", what_if=NONE, consumers=2000, rng=1), 120)
    assert "overload" not in kinds(gentle.captions)
    assert "distrust" not in kinds(gentle.captions)


def test_overload_caption_follows_the_state_with_hysteresis():
    model = RelationshipModel(consumers=400, days=30, rng=5)
    state = LessonState.start(model)
    model.step()
    w = model.world
    customers = w.provider == 0
    w.load[customers] = w.traits.contact_capacity[customers] + 1  # everyone over capacity
    assert "overload" in kinds(new_captions(model, state))
    assert "overload" not in kinds(new_captions(model, state))  # said once
    w.load[customers] = 0.0
    w.load[np.flatnonzero(customers)[: int(0.45 * customers.sum())]] = 1e6  # 45%: between the thresholds
    assert kinds(new_captions(model, state)) == []
    w.load[customers] = 0.0
    assert "relief" in kinds(new_captions(model, state))


def test_public_complaint_caption_counts_the_neighbours_who_heard_it():
    model = RelationshipModel(consumers=500, days=60, rng=7)
    state = LessonState.start(model)
    while True:
        before = model.world.trust()[:, 0].copy()
        model.step()
        caption = next((c for c in new_captions(model, state) if c.kind == "public_complaint"), None)
        if caption or model.world.day == 60:
            break
    assert caption is not None and caption.day == model.world.day
    w = model.world
    posters = w.public_posts[lesson._firm_when_posting(w, w.public_posts) == 0]
    assert len(posters) and model.recorder.latest("complaints_public") >= len(posters)
    heard = set().union(*(w.adj.indices[w.adj.indptr[p]: w.adj.indptr[p + 1]] for p in posters)) - set(posters)
    lower = sum(w.trust()[c, 0] < before[c] for c in heard)
    assert f"{len(heard)} neighbours hear it, and {lower} of them" in caption.text


# --- the page's components (solara.render) ----------------------------------------------------------------


@pytest.fixture
def page_model():
    return solara.reactive(LessonModel(consumers=1000, rng=1))


def figures(rc) -> dict[str, FigureWidget]:
    return {w.layout.title.text.split(" (")[0].split(":")[0]: w for w in rc.find(FigureWidget).widgets}


def test_page_renders_the_charts_and_the_lesson(page_model):
    _, rc = solara.render(layout.Page(page_model), handle_error=False)
    figs = figures(rc)
    assert set(figs) == {"Customers per firm", "Focal firm's customers", "Complaints about the focal firm",
                         "Profit per day", "The focal firm's levers", "Consumer network"}
    assert [t.name for t in figs["Customers per firm"].data] == ["focal", "rival"]
    assert page_model.value.names == ["focal (one_way)", "rival (middle)"]  # the banner names their strategies
    assert rc.find(vw.Html, class_="relsim-day").widget.children == ["Day 0: press Step or ▶ (Play) in the sidebar."]
    texts = ["".join(map(str, w.children)) for w in rc.find(vw.Html).widgets]
    intro = next(t for t in texts if t.startswith(f"Lesson: {LESSON}."))
    mail, calls = lesson.LESSON_FOCAL["mail_rate"], preset("one_way")["phone_rate"]
    assert f"sends each customer {mail:g} pieces of mail and {calls:g} calls a year" in intro


def test_step_button_advances_the_model_and_the_charts(page_model):
    _, page = solara.render(layout.Page(page_model), handle_error=False)
    _, controls = solara.render(ModelController(page_model, model_parameters=solara.reactive({}),
                                                play_interval=solara.reactive(100),
                                                render_interval=solara.reactive(1), use_threads=solara.reactive(False)),
                                handle_error=False)
    step = controls.find(vw.Btn, children=["Step"]).widget
    for _ in range(3):
        step.click()
    model = page_model.value
    assert model.recorder.day == 3 and model.time == 3
    figs = figures(page)
    trust = figs["Focal firm's customers"].data[0]
    assert list(trust.x) == [1, 2, 3]
    assert trust.y[-1] == pytest.approx(model.recorder.latest("mean_trust"))
    assert [len(t.y) for t in figs["Customers per firm"].data] == [3] * len(model.names)
    shown = page.find(vw.Html, class_="relsim-trust").widget.children[0]
    assert shown == f"mean trust {model.recorder.latest('mean_trust'):.3f}"
    net = figs["Consumer network"].data[1]
    assert list(net.marker.color) == pytest.approx(model.world.trust(network.network_sample(model)["nodes"])[:, 0])


def test_model_creator_inputs_reach_the_model_on_reset(page_model):
    params = solara.reactive({})
    _, creator = solara.render(ModelCreator(page_model, layout.MODEL_PARAMS, model_parameters=params),
                               handle_error=False)
    assert params.value == {k: v["value"] for k, v in layout.MODEL_PARAMS.items()}
    creator.find(vw.Select, label=layout.MODEL_PARAMS["preset"]["label"]).widget.v_model = "reciprocal"
    creator.find(vw.Select, label="Consumers").widget.v_model = 500
    seed = creator.find(vw.TextField, label=layout.MODEL_PARAMS["rng"]["label"]).widget
    seed.v_model = "7"
    seed.fire_event("focusout")  # a text box commits on leaving it (or Enter)
    creator.find(vw.Select, label="Scenario").widget.v_model = NONE
    learn = "step by step (hill climbing), for customer value"
    creator.find(vw.Select, label=layout.MODEL_PARAMS["learning"]["label"]).widget.v_model = learn
    assert params.value == {"preset": "reciprocal", "what_if": NONE, "consumers": 500, "rng": "7", "learning": learn,
                            "test_days": 30}
    _, controls = solara.render(ModelController(page_model, model_parameters=params), handle_error=False)
    controls.find(vw.Btn, children=["Reset"]).widget.click()
    model = page_model.value
    assert isinstance(model, LessonModel) and model.recorder.day == 0
    assert (model.preset, model.what_if, model.world.n, model.seed) == ("reciprocal", NONE, 500, 7)
    assert [(type(x).__name__, x.policy.objective) for x in model.learners] == [("HillClimb", "equity")]
    assert dataclasses.asdict(model.firms[0].strategy) == {**dataclasses.asdict(model.base_focal),
                                                           **preset("reciprocal")}


def test_lever_slider_reaches_the_running_model_and_survives_reset(page_model):
    overrides = solara.reactive({})
    _, rc = solara.render(layout.LeverCard(page_model, overrides), handle_error=False)
    run(page_model.value, 5)
    labels = rc.find(vw.Html, class_="relsim-lever-mail_rate").widget
    assert labels.children == ["Mail: 156 pieces per customer a year"]
    sliders = rc.find(vw.Slider).widgets
    assert len(sliders) == len(lesson.LEVERS)
    sliders[0].v_model = 40  # mail, as a user drags it
    model = page_model.value
    assert model.firms[0].strategy.mail_rate == 40 and model.world.firms.mail_rate[0] == 40
    assert model.levers == {"mail_rate": 40}
    sliders[lesson.LEVERS.index("listening")].v_model = 0.6
    assert model.firms[0].strategy.listening == 0.6 and model.firms[0].strategy.mail_rate == 40
    assert rc.find(vw.Html, class_="relsim-lever-mail_rate").widget.children == [
        "Mail: 40 pieces per customer a year"]
    page_model.value = LessonModel(consumers=1000, rng=2)  # what Reset does
    assert page_model.value.firms[0].strategy.mail_rate == 40
    assert page_model.value.firms[0].strategy.listening == 0.6
    rc.find(vw.Btn, children=["Back to the preset's values"]).widget.click()
    assert page_model.value.firms[0].strategy == page_model.value.base_focal


def test_network_view_is_a_stable_sample_with_fixed_positions():
    model = LessonModel(consumers=2000, rng=4)
    sample = network.network_sample(model)
    nodes, xy = sample["nodes"].copy(), sample["xy"].copy()
    assert len(nodes) == network.NETWORK_NODES == len(set(nodes))
    first = charts.network_figure(model)["data"][1]
    run(model, 30)
    later = charts.network_figure(model)["data"][1]
    assert np.array_equal(network.network_sample(model)["nodes"], nodes)
    assert np.array_equal(later["x"], xy[:, 0]) and np.array_equal(first["x"], later["x"])
    assert not np.allclose(first["marker"]["color"], later["marker"]["color"])  # trust moved, positions did not
    again = network.network_sample(LessonModel(consumers=2000, rng=4))
    assert np.array_equal(again["nodes"], nodes) and np.allclose(again["xy"], xy)
    small = LessonModel(consumers=200, rng=4)
    assert np.array_equal(network.network_sample(small)["nodes"], np.arange(200))


def test_figures_show_the_recorded_days():
    model = run(LessonModel(consumers=300, rng=1), 12)
    spec = charts.customers_figure(model)
    assert [len(t["y"]) for t in spec["data"]] == [12] * len(model.names)
    complaints = charts.complaints_figure(model)["data"][1]["y"]
    daily = model.recorder.values[:12, 0, list(COLUMNS).index("complaints_public")]
    assert complaints[-1] == daily[-charts.SMOOTH_DAYS:].sum()
    assert live.plain({"a": np.array([1.0, np.nan])}) == {"a": [1.0, None]}


def test_the_first_month_draws_a_dot_a_day_so_one_day_is_visible():
    model = run(LessonModel(consumers=300, rng=1), 1)
    for build in (charts.customers_figure, charts.relationship_figure, charts.complaints_figure,
                  charts.profit_figure, charts.levers_figure):
        for trace in build(model)["data"]:
            assert "markers" in trace["mode"] and trace["marker"]["size"] > 0, (build.__name__, trace["name"])
    assert all(t["mode"] == "lines" for t in charts.customers_figure(run(model, charts.X_BLOCK))["data"])


def test_after_a_change_of_course_the_road_not_taken_is_the_same_run_carried_on_unchanged():
    model, unchanged = run(LessonModel(consumers=500, rng=3), 40), run(LessonModel(consumers=500, rng=3), 70)
    assert model.road_not_taken is None and charts.customers_figure(model)["data"][-1]["name"] == "rival"
    model.set_levers({"mail_rate": 12, "listening": 0.8})
    run(model, 30)
    road = model.road_not_taken
    assert model.changed_on == 40 and road.recorder.day == 70
    column = COLUMNS.index("customers")
    assert np.array_equal(road.recorder.values[:70], unchanged.recorder.values[:70], equal_nan=True)
    assert not np.array_equal(model.recorder.values[40:70, 0, column], unchanged.recorder.values[40:70, 0, column])
    dashed = charts.customers_figure(model)["data"][-1]
    assert dashed["name"] == charts.ROAD_NAME and dashed["line"]["dash"] == charts.ROAD_DASH
    assert list(dashed["x"]) == list(range(40, 71))  # from the last day both runs share
    assert list(dashed["y"]) == list(unchanged.recorder.values[39:70, 0, column])
    trust = charts.relationship_figure(model)["data"][-1]
    assert trust["y"][-1] == unchanged.recorder.latest("mean_trust")
    rows = charts.chart_data(model).splitlines()
    assert rows[0].startswith("day,firm,customers,mean_trust")
    assert len(rows) == 1 + 70 * len(model.names) + 70  # every day of each firm, and of the road not taken
    table = pd.read_csv(io.StringIO(charts.chart_data(model)))  # a table: every row has the header's columns
    last = table.iloc[-1]
    assert (last["day"], last["firm"]) == (70, "focal (one_way), had it not changed course on day 40")
    assert last["customers"] == unchanged.recorder.latest("customers")
    # a second change keeps the first road (never changing course); a fresh run has none
    model.set_levers({"mail_rate": 100})
    assert model.road_not_taken is road and model.changed_on == 40
    fresh = LessonModel(consumers=500, rng=3)
    fresh.set_levers({"mail_rate": 12})  # before the first day: the run's own start, not a change of course
    assert fresh.road_not_taken is None


def test_the_banner_shows_the_road_not_taken_and_only_recent_captions_highlighted(page_model):
    model = run(page_model.value, 40)
    model.set_levers({"mail_rate": 12})
    run(model, 45)
    _, rc = solara.render(layout.StatusBanner(model), handle_error=False)
    road = rc.find(vw.Html, class_="relsim-road").widget.children[0]
    assert f"customers {model.road_not_taken.recorder.latest('customers'):.0f}" in road and "day 40" in road
    highlighted = rc.find(vw.Alert, class_="relsim-caption")
    fresh = [c for c in model.captions if model.recorder.day - c.day < layout.FRESH_CAPTION_DAYS]
    assert len(highlighted) == (1 if fresh else 0)
    if fresh:
        assert f"Day {fresh[-1].day}:" in str(highlighted.widget.children)


def test_the_churn_caption_never_says_customers_are_leaving_while_the_firm_grows():
    # a reciprocal firm under the lesson's contact load: its churn passes twice the first month's by day 60,
    # while it still gains at least as many customers as it loses
    model = run(LessonModel(preset="reciprocal", consumers=2000, rng=1), 100)
    values = model.recorder.values[:, 0, COLUMNS.index("customers")]
    churned = model.recorder.values[:, 0, COLUMNS.index("churned")]
    spikes = [c for c in model.captions if c.kind == "churn_spike"]
    for c in spikes:
        assert values[c.day - 1] < values[c.day - 1 - lesson.CHURN_WINDOW], c.text
    window, first = lesson.CHURN_WINDOW, churned[:lesson.CHURN_WINDOW].sum()
    growing = [day for day in range(2 * window, 101) if values[day - 1] >= values[day - 1 - window]
               and churned[day - window:day].sum() >= lesson.CHURN_SPIKE * max(first, 3)]
    assert growing and not spikes  # the growing case: churn alone would have said customers are leaving


def test_lever_axes_are_round_and_each_lever_has_its_colour():
    assert [charts.nice_top(v) for v in (0, 0.962, 1.1, 3, 171.6, 400)] == [1, 1, 2, 5, 200, 500]
    spec = charts.levers_figure(run(LessonModel(consumers=300, rng=1), 3))
    for axis in ("yaxis", "yaxis2"):
        top = spec["layout"][axis]["range"][1]
        assert spec["layout"][axis]["range"][0] == 0 and top / 10 ** np.floor(np.log10(top)) in (1, 2, 2.5, 5)
    assert len({t["line"]["color"] for t in spec["data"]}) == 3  # contacts (mail, and calls dashed), capacity, fee
    assert len({(t["line"]["color"], t["line"]["dash"]) for t in spec["data"]}) == 4


def test_the_speed_control_sets_plays_pause_between_days():
    interval = solara.reactive(layout.PLAY_INTERVAL_MS)
    _, rc = solara.render(layout.SpeedSelect(interval), handle_error=False)
    select = rc.find(vw.Select, class_="relsim-speed").widget
    assert select.v_model == layout.NORMAL_SPEED
    slow = next(k for k, ms in layout.SPEEDS.items() if ms > layout.PLAY_INTERVAL_MS)
    select.v_model = slow
    assert interval.value == layout.SPEEDS[slow] > layout.PLAY_INTERVAL_MS


def test_live_figure_waits_for_the_browser_and_then_draws_the_latest_day():
    model = run(LessonModel(consumers=300, rng=1), 2)
    widget = live.ResponsiveFigure()
    asked = []

    def drawn_by_browser():  # what plotly's JavaScript view reports after drawing an edit
        widget._js2py_traceDeltas = {"trace_deltas": [], "trace_edit_id": widget._last_trace_edit_id}

    live.redraw(widget, lambda: charts.customers_figure(model), lambda: asked.append(1))
    assert len(widget.data[0].y) == 2  # no browser has answered yet: every update goes out
    drawn_by_browser()
    run(model, 1)
    live.redraw(widget, lambda: charts.customers_figure(model), lambda: asked.append(1))
    assert len(widget.data[0].y) == 3  # the browser had drawn the last update
    run(model, 2)
    live.redraw(widget, lambda: charts.customers_figure(model), lambda: asked.append(1))
    assert len(widget.data[0].y) == 3 and asked == []  # still drawing day 3: day 5 waits
    drawn_by_browser()
    assert asked == [1]  # ... and is asked for as soon as the browser is done
    live.redraw(widget, lambda: charts.customers_figure(model), lambda: asked.append(1))
    assert len(widget.data[0].y) == 5 and list(widget.data[0].y) == list(charts._series(model, "customers"))


# --- the command ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("args, message", [
    (["--host", "0.0.0.0"], "--host=0.0.0.0 is not a loopback address; add --allow-remote"),
    (["--host", "192.168.1.5", "--port", "9000"], "--host=192.168.1.5 is not a loopback address"),
    (["--port", "0"], "--port=0: expected an integer in [1, 65535]"),
    (["--port", "http"], "--port=http: expected an integer in [1, 65535]"),
])
def test_relsim_app_refuses_bad_or_remote_addresses(args, message, capsys):
    assert server.main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err


def test_loopback_addresses():
    assert all(server._is_loopback(h) for h in ("127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"))
    assert not any(server._is_loopback(h) for h in ("0.0.0.0", "10.0.0.1", "example.org", "::"))


def test_app_bench_reports_each_part():
    from relsim.experiments.bench.app import bench

    result = bench(consumers=300, days=3, warmup=2)
    assert set(result) == {"consumers", "step", "figures", "step_and_redraw"}
    assert all(ms > 0 for key in ("step", "figures", "step_and_redraw") for ms in result[key])
