"""The one config path: typed defaults, presets that state only differences, and mid-run strategy changes."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

import relsim
from relsim import ConfigError, RelationshipModel, Strategy
from relsim.experiments.plumbing.config import CONFIG_DIR, load
from relsim.params import Market, Policy, _range, build, parameter_table

ROOT = Path(__file__).resolve().parent.parent
SIM_DIR = Path(relsim.__file__).resolve().parent


def _comment(cls: type, name: str) -> str:
    meta = next(f for f in dataclasses.fields(cls) if f.name == name).metadata
    bounds = _range(meta["lo"], meta["hi"]).strip()
    return f"{meta['doc']}; {bounds}" if bounds else meta["doc"]


#: Groups whose presets state only what differs from a dataclass's defaults: the class, and how a preset loads.
PRESET_GROUPS = {"strategy": (Strategy, lambda name: load().strategies[name]),
                 "firm_policy": (Policy, lambda name: load([f"firm_policy={name}"]).policy)}


PRESETS = [(group, path) for group in PRESET_GROUPS for path in sorted((CONFIG_DIR / group).glob("*.yaml"))]


@pytest.mark.parametrize("group, path", PRESETS, ids=lambda x: x if isinstance(x, str) else x.stem)
def test_presets_state_only_what_differs_and_document_it_as_params_does(group: str, path: Path) -> None:
    cls, loaded = PRESET_GROUPS[group]
    data = yaml.safe_load(path.read_text()) or {}
    assert data.pop("defaults") == ["_typed_defaults", "_self_"]
    defaults = dataclasses.asdict(cls())
    for key, value in data.items():
        assert key in defaults, f"{path.name}: {key} is not a {cls.__name__} field"
        assert value != defaults[key], f"{path.name}: {key}={value} restates the default"
    for line in path.read_text().splitlines():
        if match := re.match(r"^(\w+): .*?  # (.*)$", line):
            assert match.group(2) == _comment(cls, match.group(1)), f"{path.name}: comment of {match.group(1)}"
    assert loaded(path.stem) == build(cls, {**defaults, **data})  # the preset is what the config path loads


def test_default_market_preset_is_the_typed_defaults() -> None:
    data = yaml.safe_load((CONFIG_DIR / "market" / "default.yaml").read_text())
    assert data == {"defaults": ["_typed_defaults", "_self_"]}
    assert load().market == Market()


def test_parameter_reference_is_generated_from_params() -> None:
    assert (ROOT / "docs" / "PARAMETERS.md").read_text() == parameter_table()


def test_every_typed_default_can_be_overridden_from_the_command_line() -> None:
    spec = load(["strategies.middle.support_fee=7.5", "market.behaviour.memory_days=90",
                 "market.population.fit.mean=0.6", "market=monopoly"])
    assert spec.strategies["middle"].support_fee == 7.5
    assert spec.market.behaviour.memory_days == 90 and spec.market.population.fit.mean == 0.6
    assert spec.market.rivals == []


@pytest.mark.parametrize(("overrides", "message"), [
    (["strategies.middle.nope=1"], "strategies.middle.nope: unknown key"),
    (["market=nope"], "market=nope: unknown option; allowed: calibrated, default, head_to_head, monopoly"),
    (["strategies.one_way.listening=2"], "strategies.one_way.listening=2: expected a number in [0, 1]"),
])
def test_the_loader_rejects_bad_input_in_one_line(overrides, message) -> None:
    with pytest.raises(ConfigError) as info:
        load(overrides)
    assert str(info.value).startswith(message) and "\n" not in str(info.value)


# ----------------------------------------------------------------------------- strategies that change mid-run
@pytest.mark.parametrize("engine", ["vectorized", "agents"])
def test_set_strategy_changes_what_the_firm_does_from_the_next_day(engine: str) -> None:
    kwargs = dict(consumers=400, days=60, rng=3, consumer_agents=False, engine=engine)
    changed, same = RelationshipModel(**kwargs), RelationshipModel(**kwargs)
    for model in (changed, same):
        for _ in range(30):
            model.step()
    assert changed.recorder.runs().equals(same.recorder.runs())
    new = changed.set_strategy(0, mail_rate=365.0, phone_rate=30.0)
    assert new.mail_rate == 365.0 and changed.firms[0].strategy is new
    for model in (changed, same):
        model.run()
    before, after = same.recorder.runs(), changed.recorder.runs()
    focal = lambda t: t[(t.firm == 0) & (t.day > 30)]  # noqa: E731
    assert focal(after).contacts.sum() > 5 * focal(before).contacts.sum()
    assert focal(after).contacts_phone.sum() > 5 * focal(before).contacts_phone.sum()
    assert after[after.day <= 30].equals(before[before.day <= 30])


def test_set_strategy_of_problem_rate_sets_the_current_rate() -> None:
    model = RelationshipModel(consumers=200, days=10, rng=1, consumer_agents=False)
    model.step()
    model.set_strategy(1, problem_rate=12.0)
    assert model.firms[1].problem_rate == 12.0


@pytest.mark.parametrize(("firm", "levers", "message"), [
    (2, {"mail_rate": 1.0}, "firm=2: expected a firm index in [0, 1]"),
    (0, {"mail_rate": -1.0}, "firms[0].mail_rate=-1.0: expected a number in [0, 365]"),
    (0, {"phone_rate": 10**400}, "firms[0].phone_rate=100000000000...<401 digits>: expected a number in [0, 365]"),
    (0, {"email_rate": float("nan")}, "firms[0].email_rate=nan: expected a number in [0, 365]"),
    (0, {"bogus": 1.0}, "firms[0].bogus: unknown key"),
])
def test_set_strategy_validates_like_any_input(firm, levers, message) -> None:
    model = RelationshipModel(consumers=200, days=10, rng=1, consumer_agents=False)
    with pytest.raises(ConfigError) as info:
        model.set_strategy(firm, **levers)
    assert str(info.value).startswith(message)
    assert model.firms[0].strategy == Strategy()


# ----------------------------------------------------------------------------- a new Strategy field
@pytest.mark.slow
def test_a_new_strategy_field_reaches_both_engines_with_no_edit_outside_params(tmp_path: Path) -> None:
    """Copy the model, add one field to Strategy in params.py only, and read it in both engines."""
    package = tmp_path / "relsim"
    shutil.copytree(SIM_DIR, package, ignore=shutil.ignore_patterns("__pycache__"))
    params = package / "params.py"
    text = params.read_text()
    anchor = '    assortment_saving: float = _p(3.0'
    assert anchor in text
    params.write_text(text.replace(anchor, '    loyalty_bonus: float = _p(0.0, 0, None, "a new lever")\n' + anchor, 1))
    script = textwrap.dedent("""
        from numba import njit
        import relsim
        from relsim import RelationshipModel, Strategy
        assert relsim.__file__.startswith(%r)

        @njit
        def read(fa):
            return fa.loyalty_bonus[0], fa.loyalty_bonus[1]

        for engine in ("vectorized", "agents"):
            model = RelationshipModel(Strategy(loyalty_bonus=2.5), consumers=50, days=3, rng=0, engine=engine,
                                      consumer_agents=False)
            model.run()
            assert read(model.world.kernel()[2]) == (2.5, 0.0)
            assert model.firms[0].strategy.loyalty_bonus == 2.5
            model.set_strategy(0, loyalty_bonus=4.0)
            assert read(model.world.kernel()[2]) == (4.0, 0.0)
        print("ok")
    """ % str(package))
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path,
                         timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip() == "ok"


def test_an_old_or_mistyped_keyword_of_the_python_api_is_one_line_naming_its_new_name() -> None:
    from relsim.params import Market, Strategy

    with pytest.raises(ConfigError) as err:
        Strategy(contact_rate=3)
    message = str(err.value)
    assert message.startswith("contact_rate: unknown key; renamed: contact_rate is now mail_rate, email_rate or "
                              "phone_rate") and "\n" not in message
    with pytest.raises(ConfigError, match=r"^mail_rte: unknown key; did you mean mail_rate\? allowed: mail_rate"):
        Strategy(mail_rte=3)
    with pytest.raises(ConfigError, match=r"^consumrs: unknown key; did you mean consumers\?"):
        Market(consumrs=3)
    assert Strategy(mail_rate=3).mail_rate == 3 and Strategy(3.0).mail_rate == 3.0  # known keywords, positions
