"""What the `relsim` command checks before anything runs or is written (docs: README, "Bad input").

Every check raises ConfigError with one line naming the key, the value and what is allowed; the
entry point turns it into `relsim: error: ...` and exit code 2, before Hydra creates a directory.

- Flags: only Hydra's flags that relsim supports, with valid values.
- Overrides: config-group choices are option names, never paths; only `scenario` takes a list or can
  be deleted; `output_dir` is relsim's own; a command line may set only the `hydra.*` keys listed in
  `HYDRA_KEYS`; values are never interpolations (`${...}`), so nothing is resolved from a user's text.
- The composed config (the command line plus every group file it pulls in): every `_target_` is one
  of `TARGETS`, the only callback is relsim's collector, logging builds no objects of its own choice,
  no file sets a search path, environment variables, shell set-up commands or a working directory.
- Every combination of a sweep's values is a valid run (up to `MAX_COMBINATIONS`; beyond, each value).
- The run or sweep directory can be created; a sweep directory belongs to one sweep.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from relsim.analysis.io import write_text_atomic
from relsim.params import ConfigError, allowed_names

from .config import CONFIG_DIR, compose, first_line, options, plain_config, run_spec

#: An option name: letters, digits, _ and -, starting with a letter (never a path).
NAME = re.compile(r"[A-Za-z][A-Za-z0-9_\-]{0,63}")
#: The longest argument and key relsim reads.
MAX_ARGUMENT, MAX_KEY = 2000, 200
#: Sweeps with at most this many combinations are checked combination by combination.
MAX_COMBINATIONS = 256
#: Hydra's flags that relsim supports: None takes no value, a tuple the allowed values, "any" one value.
FLAGS: dict[str, Any] = {
    "-h": None, "--help": None, "--hydra-help": None, "--version": None, "--resolve": None,
    "-m": None, "--multirun": None, "-r": None, "--run": None,
    "-c": ("job", "hydra", "all"), "--cfg": ("job", "hydra", "all"), "-p": "any", "--package": "any",
    "-i": ("all", "config", "defaults", "defaults-tree", "plugins", "searchpath"),
    "--info": ("all", "config", "defaults", "defaults-tree", "plugins", "searchpath"),
}
#: Flags after which Hydra prints something instead of running.
NOT_A_RUN = {"-h", "--help", "--hydra-help", "--version", "-c", "--cfg", "-i", "--info"}
MULTIRUN = {"-m", "--multirun"}
#: Hydra's groups a command line may choose from (relsim's own groups are the folders of configs/).
HYDRA_GROUPS = {"hydra/launcher", "hydra/sweeper"}
#: The `hydra.*` keys a command line may set (a prefix ending in "." covers the keys below it).
HYDRA_KEYS = ("hydra.run.dir", "hydra.sweep.dir", "hydra.sweep.subdir", "hydra.mode", "hydra.verbose",
              "hydra.sweeper.", "hydra.launcher.")
#: Keys below hydra.launcher that would run commands or change the environment: never from a config.
LAUNCHER_DENIED = ("_target_", "setup", "srun_args", "runtime_env", "env", "setup_commands")
#: The sweeps' callback (configs/config.yaml): it collects a sweep's jobs into one dataset.
COLLECTOR = "relsim.experiments.plumbing.collect.CollectSweep"
#: The only `_target_` values a composed config may hold.
TARGETS = {
    COLLECTOR,
    "hydra._internal.core_plugins.basic_launcher.BasicLauncher",
    "hydra._internal.core_plugins.basic_sweeper.BasicSweeper",
    "hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher",
    "hydra_plugins.hydra_ray_launcher.ray_launcher.RayLauncher",
    "hydra_plugins.hydra_submitit_launcher.submitit_launcher.LocalLauncher",
    "hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher",
    "hydra_plugins.relsim_design_sweeper.design_sweeper.DesignSweeper",
}
#: Logging handlers a composed config may use.
HANDLERS = {"logging.StreamHandler", "logging.FileHandler", "logging.NullHandler"}


def check_command_line(args: Sequence[str], claim: bool = False) -> Path | None:
    """Check a `relsim` command line (flags, overrides, the composed config, the output directory).

    With `claim` (the command, once every check has passed), a sweep's directory is marked as this
    sweep's; without it nothing is written. Returns a sweep's directory (None for a single run): the command
    passes it on to Hydra, whose default directory names the time and would otherwise name a later one.
    """
    flags, overrides = split_flags(args)
    if NOT_A_RUN & flags:
        return None
    parsed = [check_override(o) for o in overrides]
    first = next(combinations(overrides, parsed, multirun=True))  # each sweep at its first value
    base = cfg = compose(first, hydra=True)
    multirun = bool(MULTIRUN & flags) or str(cfg.hydra.mode).endswith("MULTIRUN")
    extra = _sweeper_grid(cfg, parsed) if multirun else []
    grid, parsed = overrides + extra, parsed + [check_override(o) for o in extra]
    for combo in combinations(grid, parsed, multirun):
        cfg = base if combo == first else compose(combo, hydra=True)
        check_composed(cfg)
        run_spec(resolved(cfg))
    directory = check_directory(cfg, multirun)
    if multirun:
        claim_sweep_dir(cfg, overrides, write=claim)
        return directory
    return None


def _sweeper_grid(cfg: DictConfig, parsed: list) -> list[str]:
    """The sweep a preset (e.g. +experiment=flagship) puts in hydra.sweeper.params, as overrides."""
    sweeper = cfg.hydra.get("sweeper") or {}
    if sweeper.get("_target_") != "hydra._internal.core_plugins.basic_sweeper.BasicSweeper":
        return []  # a design sweeper's params are ranges, checked by the sweeper itself
    given = {o.key_or_group for o in parsed}
    params = sweeper.get("params")
    params = OmegaConf.to_container(params, resolve=False) if params else {}
    return [f"{key}={value}" for key, value in params.items() if key not in given]


def split_flags(args: Sequence[str]) -> tuple[set[str], list[str]]:
    """The flags (checked) and the overrides of a command line."""
    flags, overrides, rest = set(), [], list(args)
    while rest:
        arg = rest.pop(0)
        if len(arg) > MAX_ARGUMENT:
            raise ConfigError(f"{arg[:40]}...: an argument of {len(arg)} characters; at most {MAX_ARGUMENT}")
        if not arg.startswith("-"):
            overrides.append(arg)
            continue
        name, eq, value = arg.partition("=")
        if name not in FLAGS:
            raise ConfigError(f"{name}: unknown flag{allowed_names(name, sorted(FLAGS))}")
        allowed = FLAGS[name]
        if allowed is None and eq:
            raise ConfigError(f"{arg}: {name} takes no value")
        if allowed is not None:
            if not eq:
                optional = name in ("-i", "--info")
                if rest and not rest[0].startswith("-") and (not optional or rest[0] in allowed):
                    value = rest.pop(0)
                elif not optional:
                    raise ConfigError(f"{name}: expected a value" + (f" ({', '.join(allowed)})" if allowed != "any"
                                                                      else ""))
            if value and allowed != "any" and value not in allowed:
                raise ConfigError(f"{name}={value}: expected one of {', '.join(allowed)}")
        flags.add(name)
    return flags, overrides


def _groups() -> set[str]:
    return {p.name for p in CONFIG_DIR.iterdir() if p.is_dir() and p.name != "hydra"} | HYDRA_GROUPS


def check_override(text: str):
    """One override's form: a key relsim reads, a group choice by name, no interpolation; returns it parsed."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    try:
        (o,) = OverridesParser.create().parse_overrides([text])
    except HydraException as exc:
        raise ConfigError(f"{text}: not an override of the form key=value ({first_line(exc, [])})") from None
    key = o.key_or_group
    if len(key) > MAX_KEY:
        raise ConfigError(f"{key[:40]}...: a key of {len(key)} characters; at most {MAX_KEY}")
    if key in _groups():
        _check_choice(o, key)
    elif o.is_delete():
        raise ConfigError(f"~{key}: deleting a key is not supported; set it to a value instead")
    elif key == "output_dir":
        raise ConfigError(f"{text}: output_dir is set by relsim; choose the directory with hydra.run.dir=DIR")
    elif key == "hydra" or key.startswith("hydra.") or key.startswith("hydra/"):
        _check_hydra_key(key, text)
    elif o.package is not None:
        raise ConfigError(f"{text}: only config groups take a @package ({', '.join(sorted(_groups()))})")
    if "${" in str(o.value()) and not key.startswith(("hydra.run.", "hydra.sweep.")):
        raise ConfigError(f"{text}: interpolations (${{...}}) are not allowed in relsim's settings")
    return o


def _check_choice(o, group: str) -> None:
    text = o.input_line
    if o.package is not None and (group != "strategy" or not re.fullmatch(r"strategies\.[A-Za-z][A-Za-z0-9_]*",
                                                                           o.package)):
        raise ConfigError(f"{text}: a group's package may only name a strategy, as strategy@strategies.NAME")
    if o.is_delete() and group != "scenario":
        raise ConfigError(f"~{group}: only the scenario group can be removed")
    if o.is_delete():
        return
    values = list(o.sweep_string_iterator()) if o.is_sweep_override() else [o.value()]
    for value in values:
        names = value if isinstance(value, list) else [value]
        if isinstance(value, list) and group != "scenario":
            raise ConfigError(f"{text}: {group} takes one option; only scenario takes a list")
        for name in names:
            if name is None and group == "scenario":
                continue
            if not isinstance(name, str) or not NAME.fullmatch(name):
                raise ConfigError(f"{text}: {name!r} is not an option name (letters, digits, _ and -)")
            known = hydra_options(group) if group.startswith("hydra/") else options(group)
            if name not in known:
                raise ConfigError(f"{group}={name}: unknown option{allowed_names(name, known)}")


@functools.cache
def hydra_options(group: str) -> list[str]:
    """The options of one of Hydra's groups (its plugins' and relsim's), e.g. hydra/launcher."""
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return sorted(n for n in GlobalHydra.instance().config_loader().get_group_options(group) if n != "ray_aws")


def _check_hydra_key(key: str, text: str) -> None:
    if key in HYDRA_GROUPS:
        return
    allowed = any(key == k or (k.endswith(".") and key.startswith(k)) for k in HYDRA_KEYS)
    leaf = key.split(".")
    if not allowed or (key.startswith("hydra.launcher.") and any(part in LAUNCHER_DENIED for part in leaf[2:])) \
            or leaf[-1] == "_target_":
        raise ConfigError(f"{text}: relsim lets the command line set only {', '.join(HYDRA_KEYS)}* "
                          f"(not targets, set-up commands or environments)")


def combinations(overrides: list[str], parsed: list, multirun: bool) -> Iterator[list[str]]:
    """The override lists to check: the one run, or every combination of a sweep's values.

    Beyond `MAX_COMBINATIONS` combinations, each value of each swept key is checked with the other
    keys at their first value.
    """
    if not multirun:
        yield overrides
        return
    values = []
    for text, o in zip(overrides, parsed, strict=True):
        if o.is_sweep_override() and not o.is_hydra_override() and (o.is_discrete_sweep() or o.is_range_sweep()):
            values.append([f"{o.get_key_element()}={v}" for v in o.sweep_string_iterator()])
        else:  # a fixed value, a hydra key, or an interval for an optimising sweeper (its key is checked)
            values.append([text])
    total = 1
    for v in values:
        total *= len(v)
    if total <= MAX_COMBINATIONS:
        yield from (list(c) for c in itertools.product(*values))
        return
    base = [v[0] for v in values]
    yield base
    for k, choices in enumerate(values):
        for c in choices[1:]:
            yield base[:k] + [c] + base[k + 1:]


def resolved(cfg: DictConfig) -> dict:
    """The run's settings as plain values; an interpolation that cannot resolve is a one-line error."""
    from omegaconf.errors import OmegaConfBaseException

    try:
        return plain_config(cfg)
    except OmegaConfBaseException as exc:
        key = getattr(exc, "full_key", "") or "config"
        raise ConfigError(f"{key}: cannot be resolved ({str(exc).splitlines()[0]})") from None


def check_composed(cfg: DictConfig) -> None:
    """The composed config, group files included, can only do what relsim's own configs do."""
    for path, target in _targets(cfg, ""):
        if target not in TARGETS:
            raise ConfigError(f"{path.lstrip('.')}._target_={target}: relsim instantiates only its own "
                              "launchers, sweepers and callback")
    hydra = cfg.hydra
    callbacks = OmegaConf.to_container(hydra.callbacks, resolve=False) if hydra.get("callbacks") else {}
    if callbacks != {"collect": {"_target_": COLLECTOR}}:
        raise ConfigError(f"hydra.callbacks={callbacks}: relsim runs only its own collector callback")
    for node in ("job_logging", "hydra_logging"):
        _check_logging(OmegaConf.to_container(hydra[node], resolve=False) if hydra.get(node) else {}, f"hydra.{node}")
    if list(hydra.searchpath):
        raise ConfigError(f"hydra.searchpath={list(hydra.searchpath)}: relsim reads only its own configs/")
    job = hydra.job
    if job.get("chdir") or job.get("env_set") or job.get("env_copy"):
        raise ConfigError("hydra.job: a config may not change the working directory or set environment variables")
    launcher = OmegaConf.to_container(hydra.launcher, resolve=False)
    for denied in LAUNCHER_DENIED[1:]:
        if _find(launcher, denied):
            raise ConfigError(f"hydra.launcher.{denied}: relsim does not run set-up commands or environments "
                              "from configs")


def _targets(node: Any, path: str) -> Iterator[tuple[str, str]]:
    if OmegaConf.is_dict(node):
        for key in node.keys():
            if key == "_target_":
                yield path, str(node._get_node(key)._value())
            else:
                yield from _targets(node._get_node(key), f"{path}.{key}")
    elif OmegaConf.is_list(node):
        for k in range(len(node)):
            yield from _targets(node._get_node(k), f"{path}[{k}]")


def _find(node: Any, name: str) -> bool:
    """True if a non-empty value named `name` is anywhere in `node`."""
    if isinstance(node, dict):
        return any((k == name and v) or _find(v, name) for k, v in node.items())
    if isinstance(node, list):
        return any(_find(v, name) for v in node)
    return False


def _check_logging(node: Any, path: str) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "()" or (key == "class" and value not in HANDLERS):
                raise ConfigError(f"{path}.{key}={value}: logging may use only {', '.join(sorted(HANDLERS))}")
            if key == "filename" and not str(value).startswith("${hydra.runtime.output_dir}/"):
                raise ConfigError(f"{path}.filename={value}: a log file must be in the run's directory")
            _check_logging(value, f"{path}.{key}")
    elif isinstance(node, list):
        for value in node:
            _check_logging(value, path)


def check_directory(cfg: DictConfig, multirun: bool) -> Path:
    """The run (or sweep) directory can be created and written; returns it."""
    key = "hydra.sweep.dir" if multirun else "hydra.run.dir"
    try:
        directory = Path(str(OmegaConf.select(cfg, key, throw_on_resolution_failure=True)))
    except Exception as exc:  # noqa: BLE001 - any resolver failure is the user's value
        raise ConfigError(f"{key}: cannot be resolved ({str(exc).splitlines()[0]})") from None
    probe = directory
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if directory.exists() and not directory.is_dir():
        raise ConfigError(f"{key}={directory}: exists and is not a directory")
    try:  # can a directory be made there? (a trial directory, removed at once: nothing is left behind)
        os.rmdir(tempfile.mkdtemp(dir=probe, prefix=".relsim-probe-"))
    except OSError:
        raise ConfigError(f"{key}={directory}: cannot be created ({probe} is not a writable directory)") from None
    return directory


#: The file that marks a sweep directory as one sweep's.
SWEEP_MARK = ".relsim-sweep.json"


def sweep_key(overrides: Sequence[str]) -> str:
    """What makes a sweep the same sweep: its overrides, less where it runs and on what."""
    kept = sorted(o for o in overrides if not o.lstrip("+~").startswith(("hydra.sweep.dir", "hydra.launcher",
                                                                         "hydra/launcher", "workers", "progress")))
    return hashlib.sha256(json.dumps(kept).encode()).hexdigest()[:16]


def claim_sweep_dir(cfg: DictConfig, overrides: Sequence[str], write: bool = True) -> None:
    """A sweep directory belongs to one sweep: refuse another sweep into it; a resumed sweep is the same one."""
    directory = Path(str(OmegaConf.select(cfg, "hydra.sweep.dir")))
    mark, key = directory / SWEEP_MARK, sweep_key(overrides)
    if mark.is_file():
        try:
            recorded = json.loads(mark.read_text())
        except (OSError, ValueError):
            recorded = {}
        if recorded.get("sweep_key") != key:
            raise ConfigError(f"hydra.sweep.dir={directory}: holds another sweep ({' '.join(recorded.get('overrides', []))});"
                              " choose a new directory")
        return
    if directory.is_dir() and any(directory.iterdir()):
        raise ConfigError(f"hydra.sweep.dir={directory}: is not empty and holds no relsim sweep; choose a new directory")
    if not write:
        return
    directory.mkdir(parents=True, exist_ok=True)
    write_text_atomic(mark, json.dumps({"sweep_key": key, "overrides": list(overrides)}, indent=2))
