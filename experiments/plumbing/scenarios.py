"""What-if scenarios (configs/scenario/): named changes to the focal firm's strategy and the market.

A scenario file has a `description` and any of
    set:       {Strategy field: value}     the focal firm's field takes this value
    scale:     {Strategy field: factor}    the field is multiplied by the factor
    add:       {Strategy field: amount}    the amount is added to the field
    market:    {Market field: value, ...}  nested Market fields take these values (e.g. a shock)
    contrasts: {name: {set, scale, add}}   extra variants run beside the scenario (e.g. with listening)
Scenarios compose in the order given, each applied on top of the previous ones, and each on top of
whatever strategy the arm plays, so every scenario runs against every strategy.

A strategy with a budget buys its channel rates, inbound_capacity and listening from shares of the budget
(sim/budget.py), so a lever set on it directly would be bought again. A change that leaves every lever one
share buys at 0 (e.g. the audit's off_listening) therefore takes that share out of the budget instead: the
share becomes 0 and the budget shrinks by it, so the other shares buy exactly what they bought before.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from relsim.params import ConfigError, Market, Strategy, build, check_keys

BASELINE = "baseline"
_OPS = ("set", "scale", "add")
_KEYS = ("description", *_OPS, "market", "contrasts")
_NUMERIC = [f.name for f in dataclasses.fields(Strategy)]
#: Each share of a budget and the levers it buys (sim/budget.py).
BOUGHT = {"outbound_share": ("mail_rate", "email_rate", "phone_rate"),
          "access_share": ("inbound_capacity",),
          "listening_share": ("listening", "public_listening")}


@dataclasses.dataclass(frozen=True)
class Change:
    """One set of changes to a strategy (and the market)."""

    set: Mapping[str, float] = dataclasses.field(default_factory=dict)
    scale: Mapping[str, float] = dataclasses.field(default_factory=dict)
    add: Mapping[str, float] = dataclasses.field(default_factory=dict)
    market: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Scenario:
    """A named what-if: its change, and contrasts run beside it."""

    name: str
    description: str
    change: Change
    contrasts: Mapping[str, Change]


@dataclasses.dataclass(frozen=True)
class Variant:
    """A column of the comparison: a name and the changes applied, in order."""

    name: str
    changes: tuple[Change, ...] = ()
    description: str = ""


def parse(name: str, data: Mapping[str, Any] | None) -> Scenario:
    """Check a scenario's mapping (keys, fields, numbers) and build it; raises ConfigError."""
    data = data or {}
    path = f"scenario.{name}"
    _known(data, _KEYS, path)
    contrasts = data.get("contrasts") or {}
    if not isinstance(contrasts, Mapping):
        raise ConfigError(f"{path}.contrasts={contrasts!r}: expected a mapping of name -> changes")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise ConfigError(f"{path}.description={description!r}: expected a string")
    return Scenario(name=name, description=description or name, change=_change(data, path),
                    contrasts={c: _change(v or {}, f"{path}.contrasts.{c}", market=False)
                               for c, v in contrasts.items()})


def _known(data: Mapping[str, Any], allowed: Sequence[str], path: str) -> None:
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path}={data!r}: expected a mapping with keys {', '.join(allowed)}")
    check_keys(data, allowed, path)


def _change(data: Mapping[str, Any], path: str, market: bool = True) -> Change:
    _known(data, _KEYS if market else _OPS, path)
    ops = {}
    for op in _OPS:
        fields = data.get(op) or {}
        _known(fields, _NUMERIC, f"{path}.{op}")
        for key, value in fields.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError(f"{path}.{op}.{key}={value!r}: expected a number")
            if op == "scale" and value < 0:
                raise ConfigError(f"{path}.{op}.{key}={value!r}: expected a factor >= 0")
        ops[op] = dict(fields)
    changes = data.get("market") or {}
    if not isinstance(changes, Mapping):
        raise ConfigError(f"{path}.market={changes!r}: expected a mapping of market fields")
    return Change(**ops, market=dict(changes))


def apply(strategy: Strategy, changes: Sequence[Change], path: str) -> Strategy:
    """The strategy after the changes, in order; the result is range-checked."""
    values = dataclasses.asdict(strategy)
    for change in changes:
        values.update(change.set)
        for key, factor in change.scale.items():
            values[key] = values[key] * factor
        for key, amount in change.add.items():
            values[key] = values[key] + amount
        _switch_off_shares(values, {*change.set, *change.scale, *change.add})
    return build(Strategy, {k: _as_int_if_whole(values[k], type(getattr(strategy, k))) for k in values}, path)


def _switch_off_shares(values: dict[str, Any], changed: set[str]) -> None:
    """On a budgeted strategy, a share whose levers the change touched and left all at 0 is taken out of the
    budget: the share becomes 0, the budget is scaled by (1 - share) and the other shares by 1 / (1 - share),
    so they buy the same levers as before (a share of 1 leaves no budget: every lever then stays at 0)."""
    for share, bought in BOUGHT.items():
        if values["budget"] <= 0 or values[share] <= 0 or not changed & set(bought):
            continue
        if any(values[lever] != 0 for lever in bought):
            continue
        rest = 1.0 - values[share]
        values[share] = 0.0
        if rest <= 0:  # the whole budget bought these levers: no budget, and no lever bought
            values["budget"] = 0.0
            values.update({lever: 0.0 for levers in BOUGHT.values() for lever in levers})
            continue
        values["budget"] = values["budget"] * rest
        for other in BOUGHT:
            if other != share:
                values[other] = values[other] / rest


def _as_int_if_whole(value: float, kind: type) -> float | int:
    return int(value) if kind is int and float(value).is_integer() else value


def apply_market(market: Mapping[str, Any], changes: Sequence[Change], path: str) -> Market:
    """The market after the changes' nested field updates, in order; the result is checked."""
    merged = copy.deepcopy(dict(market))
    for change in changes:
        _merge(merged, change.market)
    return build(Market, merged, path)


def _merge(base: dict, update: Mapping[str, Any]) -> None:
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value


def variants(scenarios: Sequence[Scenario], compose: bool = True) -> list[Variant]:
    """The comparison's columns: the baseline, then the scenario(s) and their contrasts.

    With `compose`, all scenarios together form one variant (in the order given); otherwise each
    scenario is a variant of its own against the same baseline.
    """
    real = [s for s in scenarios if s.name != BASELINE]
    out = [Variant(BASELINE, (), "nothing changes")]
    groups = [real] if compose and real else [[s] for s in real]
    for group in groups:
        name = "+".join(s.name for s in group)
        base = tuple(s.change for s in group)
        out.append(Variant(name, base, "; then ".join(s.description for s in group)))
        for s in group:
            for contrast, change in s.contrasts.items():
                out.append(Variant(f"{name}:{contrast}", (*base, change), f"{name} {contrast.replace('_', ' ')}"))
    return out
