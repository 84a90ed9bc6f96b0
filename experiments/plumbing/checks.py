"""The gate: what every route into a run is checked against before anything runs or is written (docs: README,
"Bad input").

Every check raises ConfigError with one line naming the key, the value and what is allowed; the
entry point turns it into `relsim: error: ...` and exit code 2, before Hydra creates a directory.
The routes into a run, each through `check_command_line` (tests/test_fuzz.py enumerates them):

- Flags: only Hydra's flags that relsim supports, exactly as spelled (no abbreviations), with valid values;
  print modes (--cfg, --resolve, --info, --package) get the same checks as a run.
- Overrides: config-group choices are option names, never paths (a glob only in a sweep); only `scenario`
  takes a list or can be deleted; `output_dir` is relsim's own; a command line may set only the `hydra.*`
  keys listed in `HYDRA_KEYS`; values are never interpolations (`${...}`), except `${now:FORMAT}` in a run
  or sweep directory, so nothing is resolved from a user's text.
- The composed config (the command line plus every group file it pulls in, e.g. a colleague's experiment
  file): every `_target_` is one of `TARGETS`, the only callback is relsim's collector, logging builds no
  objects of its own choice, no file sets a search path, environment variables, a working directory, the
  job's name or its folders; relsim's own settings use no resolvers (only references to other keys);
  the launcher's settings are its defaults or, for the keys in `LAUNCHER_SETTINGS`, checked values (Ray
  listens on loopback with its dashboard off); the sweeper's settings are checked by the sweeper itself.
- Every job of a sweep is a valid run: the basic sweeper's every combination (of the command line and of
  `hydra.sweeper.params`), the design sweeper's every row (whose keys and levels pass the override checks
  above), checked in bulk (`check_jobs`: a few seconds for 20,000 jobs; at most `MAX_JOBS`).
- The run or sweep directory can be created and is claimed atomically (`claim`): a folder holds one
  run or one sweep; running the same again resumes it; another is refused, also while one is running.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import fcntl
import functools
import hashlib
import itertools
import json
import math
import os
import re
import stat
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from relsim.params import ConfigError, allowed_names, memo, memoized, number, show

from .config import CONFIG_DIR, compose, first_line, options, plain_config, run_spec

#: An option name: letters, digits, _ and -, starting with a letter (never a path).
NAME = re.compile(r"[A-Za-z][A-Za-z0-9_\-]{0,63}")
#: The longest argument and key relsim reads.
MAX_ARGUMENT, MAX_KEY = 2000, 200
#: The most jobs one sweep may have (each is a run; split larger sweeps).
MAX_JOBS = 100_000
#: Sweeps of at most this many jobs whose configs cannot be derived in bulk are composed job by job.
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
#: Flags that print without reading the config at all.
NO_CONFIG = {"-h", "--help", "--hydra-help", "--version"}
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
BASIC_SWEEPER = "hydra._internal.core_plugins.basic_sweeper.BasicSweeper"
DESIGN_SWEEPER = "hydra_plugins.relsim_design_sweeper.design_sweeper.DesignSweeper"
#: The only `_target_` values a composed config may hold.
TARGETS = {
    COLLECTOR, BASIC_SWEEPER, DESIGN_SWEEPER,
    "hydra._internal.core_plugins.basic_launcher.BasicLauncher",
    "hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher",
    "hydra_plugins.hydra_ray_launcher.ray_launcher.RayLauncher",
    "hydra_plugins.hydra_submitit_launcher.submitit_launcher.LocalLauncher",
    "hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher",
}
#: Logging handlers a composed config may use.
HANDLERS = {"logging.StreamHandler", "logging.FileHandler", "logging.NullHandler"}
#: Where a sweep's jobs go: relsim collects `job=<n>` folders (experiments/plumbing/collect.py).
SWEEP_SUBDIR = "job=${hydra.job.num}"
#: A run or sweep directory may interpolate the time, nothing else.
DIR_INTERPOLATION = re.compile(r"\$\{now:[^${}]*\}")
#: Text a cluster scheduler's settings may hold (no spaces, quotes, newlines or shell characters).
SCHEDULER_TEXT = re.compile(r"[A-Za-z0-9_.,:=+@%/\[\]-]{1,200}")


# --------------------------------------------------------------------------- the launchers' settings

def _int_in(lo: int, hi: int, *extra: Any):
    def check(value: Any, key: str) -> None:
        if value in extra:
            return
        number(value, key, lo, hi, integer=True)
    return check


def _num_in(lo: float, hi: float, *extra: Any):
    def check(value: Any, key: str) -> None:
        if value in extra and not isinstance(value, bool):
            return
        number(value, key, lo, hi)
    return check


def _one_of(*allowed: Any):
    def check(value: Any, key: str) -> None:
        if isinstance(value, bool) or value not in allowed:
            raise ConfigError(f"{key}={show(value)}: expected one of {', '.join(str(a) for a in allowed)}")
    return check


def _scheduler_text(value: Any, key: str) -> None:
    if value is not None and (not isinstance(value, str) or not SCHEDULER_TEXT.fullmatch(value)):
        raise ConfigError(f"{key}={show(value)}: expected null or up to 200 letters, digits and _ . , : = + @ % / [ ] -")


def _ray_address(value: Any, key: str) -> None:
    if not isinstance(value, str) or not (value == "auto" or re.fullmatch(
            r"(ray://)?[A-Za-z0-9_.\-\[\]:]{1,253}:\d{1,5}", value)):
        raise ConfigError(f"{key}={show(value)}: expected auto, HOST:PORT or ray://HOST:PORT")


#: The launcher settings relsim lets a command line or a config change, by launcher, with their checks; every
#: other setting stays as relsim's launcher file (configs/hydra/launcher/) or the plugin sets it.
LAUNCHER_SETTINGS: dict[str, dict[str, Any]] = {
    "joblib": {"n_jobs": _int_in(1, 4096, -1), "verbose": _int_in(0, 100), "timeout": _num_in(1, 1e7, None),
               "batch_size": _int_in(1, 10**6, "auto"), "pre_dispatch": _one_of("2*n_jobs", "n_jobs", "all")},
    "basic": {},
    "ray_local": {"ray.remote.num_cpus": _num_in(0.01, 4096), "ray.remote.num_gpus": _num_in(0, 64),
                  "ray.init.num_cpus": _int_in(1, 4096, None),
                  "ray.init.object_store_memory": _int_in(78_643_200, 10**13)},
    "ray_cluster": {"ray.remote.num_cpus": _num_in(0.01, 4096), "ray.remote.num_gpus": _num_in(0, 64),
                    "ray.init.address": _ray_address},
    "submitit_local": {"timeout_min": _int_in(1, 525_600), "cpus_per_task": _int_in(1, 4096, None),
                       "gpus_per_node": _int_in(0, 64, None), "tasks_per_node": _int_in(1, 4096),
                       "mem_gb": _num_in(0.01, 10**6, None), "nodes": _int_in(1, 1)},
    "submitit_slurm": {"timeout_min": _int_in(1, 525_600), "cpus_per_task": _int_in(1, 4096, None),
                       "gpus_per_node": _int_in(0, 64, None), "tasks_per_node": _int_in(1, 4096),
                       "mem_gb": _num_in(0.01, 10**6, None), "nodes": _int_in(1, 100_000),
                       "array_parallelism": _int_in(1, 100_000), "signal_delay_s": _int_in(0, 86_400),
                       "max_num_timeout": _int_in(0, 1000), "cpus_per_gpu": _int_in(1, 4096, None),
                       "gpus_per_task": _int_in(1, 64, None), "mem_per_gpu": _scheduler_text,
                       "mem_per_cpu": _scheduler_text, **{k: _scheduler_text for k in (
                           "partition", "qos", "account", "constraint", "exclude", "gres", "comment")}},
}


# --------------------------------------------------------------------------- the command line

@dataclasses.dataclass
class Checked:
    """What the gate found: the flags and overrides, the first job's composed config, and the run's identity."""

    flags: set[str]
    overrides: list[str]
    cfg: DictConfig | None = None
    multirun: bool = False
    jobs: int = 0
    identity: str = ""  # a run's config hash or a sweep's key: what makes it the same run or sweep
    describe: str = ""  # the run or sweep in a few words, for a refusal that names it

    @property
    def runs(self) -> bool:
        """True when the command runs (and writes), rather than printing."""
        return not (NOT_A_RUN & self.flags)

    @property
    def dir_key(self) -> str:
        return "hydra.sweep.dir" if self.multirun else "hydra.run.dir"


def check_command_line(args: Sequence[str]) -> Checked:
    """Check a `relsim` command line: flags, overrides, the composed config, every job, the output directory.

    Nothing is written: the command claims the directory itself (`claim`), once every check has passed.
    """
    flags, overrides = split_flags(args)
    checked = Checked(flags, overrides)
    if "--resolve" in flags and not {"-c", "--cfg", "-h", "--help"} & flags:  # Hydra's rule, said in one line
        raise ConfigError("--resolve: only with --cfg (print the config resolved) or --help")
    if NO_CONFIG & flags:
        return checked
    parsed = [check_override(o) for o in overrides]
    first = _first_job(overrides, parsed)
    cfg = compose(first, hydra=True)
    check_composed(cfg)
    checked.cfg = cfg
    checked.multirun = bool(MULTIRUN & flags) or str(cfg.hydra.mode).endswith("MULTIRUN")
    if _package(flags, args) is not None:
        _check_package(_package(flags, args), cfg)
    settings = " ".join(o for o in overrides if not o.lstrip("+").startswith(("hydra.run.dir", "hydra.sweep.dir")))
    if checked.multirun:
        jobs = sweep_jobs(cfg, overrides, parsed)
        checked.jobs, checked.identity = check_jobs(jobs)
        checked.describe = settings or "the default sweep"
    else:
        if any(o.is_sweep_override() for o in parsed):
            swept = next(o for o in parsed if o.is_sweep_override())
            raise ConfigError(f"{swept.input_line}: a sweep of values needs -m (relsim -m {swept.input_line} ...)")
        spec_plain = resolved(cfg)
        run_spec(spec_plain)
        checked.jobs, checked.identity = 1, run_identity(spec_plain)
        checked.describe = settings or "the default run"
    if checked.runs:
        check_directory(cfg, checked.multirun)
    return checked


def _package(flags: set[str], args: Sequence[str]) -> str | None:
    if not {"-p", "--package"} & flags:
        return None
    for k, arg in enumerate(args):
        name, eq, value = arg.partition("=")
        if name in ("-p", "--package"):
            return value if eq else (args[k + 1] if k + 1 < len(args) else "")
    return None


def _check_package(package: str, cfg: DictConfig) -> None:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*", package) \
            or package.split(".")[0] == "hydra" or OmegaConf.select(cfg, package, default=None) is None:
        raise ConfigError(f"--package={package}: expected a group of keys of the config, e.g. market or "
                          "strategies.one_way")


def split_flags(args: Sequence[str]) -> tuple[set[str], list[str]]:
    """The flags (checked) and the overrides of a command line."""
    flags, _, overrides = _split(args)
    return flags, overrides


def flags_first(args: Sequence[str]) -> list[str]:
    """The command line with its flags (and their values) before the overrides, as Hydra's parser needs: it takes
    the overrides as one run of words, so `seeds=2 -m x=1,2` would leave `x=1,2` unread."""
    _, tokens, overrides = _split(args)
    return [*tokens, *overrides]


def _split(args: Sequence[str]) -> tuple[set[str], list[str], list[str]]:
    """The flags (checked), the words that give them (each flag with its value), and the overrides."""
    flags, tokens, overrides, rest = set(), [], [], list(args)
    while rest:
        arg = rest.pop(0)
        if len(arg) > MAX_ARGUMENT:
            raise ConfigError(f"{arg[:40]}...: an argument of {len(arg)} characters; at most {MAX_ARGUMENT}")
        if not arg.startswith("-"):
            overrides.append(arg)
            continue
        tokens.append(arg)
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
                    tokens.append(value)
                elif not optional:
                    raise ConfigError(f"{name}: expected a value" + (f" ({', '.join(allowed)})" if allowed != "any"
                                                                      else ""))
            if value and allowed != "any" and value not in allowed:
                raise ConfigError(f"{name}={value}: expected one of {', '.join(allowed)}")
        flags.add(name)
    modes = [name for names in (("-r", "--run"), ("-m", "--multirun"), ("-c", "--cfg"), ("-i", "--info"))
             for name in names[1:] if set(names) & flags]
    if len(modes) > 1:  # Hydra takes one of them
        raise ConfigError(f"{modes[0]} and {modes[1]}: Hydra takes only one of --run, --multirun, --cfg and --info")
    return flags, tokens, overrides


def _groups() -> set[str]:
    return _groups_in(str(CONFIG_DIR))


@functools.lru_cache(maxsize=8)
def _groups_in(config_dir: str) -> frozenset[str]:
    return frozenset({p.name for p in Path(config_dir).iterdir() if p.is_dir() and p.name != "hydra"} | HYDRA_GROUPS)


@functools.lru_cache(maxsize=4096)
def _parse(text: str):
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    try:
        (o,) = OverridesParser.create().parse_overrides([text])
    except HydraException as exc:
        raise ConfigError(f"{show(text)}: not an override of the form key=value ({first_line(exc, [])})") from None
    except RecursionError:
        raise ConfigError(f"{show(text)}: nested too deeply") from None
    return o


def check_override(text: str):
    """One override's form: a key relsim reads, a group choice by name, no interpolation; returns it parsed."""
    o = _parse(text)
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
        _check_hydra_value(o, key)
    elif o.package is not None:
        raise ConfigError(f"{text}: only config groups take a @package ({', '.join(sorted(_groups()))})")
    elif o.is_sweep_override():
        _check_sweep(o)
    if key not in ("hydra.run.dir", "hydra.sweep.dir", "hydra.sweep.subdir") and _has_interpolation(o):
        raise ConfigError(f"{show(text)}: interpolations (${{...}}) are not allowed in relsim's settings")
    return o


def _is_glob(o) -> bool:
    from hydra.core.override_parser.types import Glob

    return isinstance(o.value(), Glob)


def _has_interpolation(o) -> bool:
    values = list(o.sweep_iterator()) if o.is_sweep_override() and not _is_glob(o) else [o.value()]
    return any("${" in _text_of(v) for v in values)


def _text_of(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "".join(_text_of(v) for v in value)
    if isinstance(value, dict):
        return "".join(_text_of(k) + _text_of(v) for k, v in value.items())
    return str(value) if isinstance(value, str) else ""


def _check_sweep(o) -> None:
    text, value = o.input_line, o.value()
    if o.is_interval_sweep():
        raise ConfigError(f"{show(text)}: interval() needs an optimising sweeper; relsim's sweepers take values "
                          "(a,b,c or range(...))")
    if _is_glob(o):
        raise ConfigError(f"{show(text)}: glob() chooses among a config group's options (e.g. market=glob(*))")
    if getattr(value, "shuffle", False):
        raise ConfigError(f"{show(text)}: shuffle() would run the jobs in a new order each time, so the sweep could "
                          "not resume; list the values in the order wanted")


def _check_choice(o, group: str) -> None:
    text = o.input_line
    if o.package is not None and (group != "strategy" or not re.fullmatch(r"strategies\.[A-Za-z][A-Za-z0-9_]*",
                                                                           o.package)):
        raise ConfigError(f"{text}: a group's package may only name a strategy, as strategy@strategies.NAME")
    if o.is_delete() and group != "scenario":
        raise ConfigError(f"~{group}: only the scenario group can be removed")
    if o.is_delete():
        return
    if o.is_sweep_override() and (o.is_interval_sweep() or getattr(o.value(), "shuffle", False)):
        _check_sweep(o)
    for value in _choices(o, group):
        names = value if isinstance(value, list) else [value]
        if isinstance(value, list) and group != "scenario":
            raise ConfigError(f"{text}: {group} takes one option; only scenario takes a list")
        for name in names:
            if name is None and group == "scenario" and not isinstance(value, list):  # scenario=null: none
                continue
            if not isinstance(name, str) or not NAME.fullmatch(name):
                raise ConfigError(f"{show(text)}: {show(name)} is not an option name (letters, digits, _ and -)")
            known = hydra_options(group) if group.startswith("hydra/") else options(group)
            if name not in known:
                raise ConfigError(f"{group}={name}: unknown option{allowed_names(name, known)}")
        if isinstance(value, list) and len(set(map(str, names))) != len(names):
            raise ConfigError(f"{show(text)}: each scenario may appear once")


def _choices(o, group: str) -> list[Any]:
    """The option(s) an override of a group chooses: one, or each of a sweep (a glob matched to the options)."""
    if not o.is_sweep_override():
        return [o.value()]
    if _is_glob(o):
        known = hydra_options(group) if group.startswith("hydra/") else options(group)
        found = o.value().filter(known)
        if not found:
            raise ConfigError(f"{o.input_line}: matches no option; allowed: {', '.join(known)}")
        return list(found)
    values = list(o.sweep_iterator())
    texts = [_canonical_json(v) for v in values]
    if len(set(texts)) != len(texts):
        raise ConfigError(f"{show(o.input_line)}: sweeps an option twice; give each once")
    return values


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
        raise ConfigError(f"{show(text)}: relsim lets the command line set only {', '.join(HYDRA_KEYS)}* "
                          f"(not targets, set-up commands or environments)")


def _check_hydra_value(o, key: str) -> None:
    if key in HYDRA_GROUPS:
        return
    if o.is_sweep_override():
        raise ConfigError(f"{show(o.input_line)}: Hydra's own settings cannot be swept; sweep relsim's keys")
    value = o.value()
    if key in ("hydra.run.dir", "hydra.sweep.dir"):
        check_dir_text(value, key)
    elif key == "hydra.sweep.subdir" and value != SWEEP_SUBDIR:
        raise ConfigError(f"{show(o.input_line)}: relsim puts each job of a sweep in job=<n> of the sweep's "
                          f"directory (hydra.sweep.subdir={SWEEP_SUBDIR}); choose the sweep's directory instead")
    elif key == "hydra.mode" and value not in ("RUN", "MULTIRUN"):
        raise ConfigError(f"{show(o.input_line)}: expected RUN or MULTIRUN")


def check_dir_text(value: Any, key: str) -> str:
    """A run or sweep directory as given: a non-empty path of printable characters, interpolating only ${now:...}."""
    if not isinstance(value, str) or not value.strip() or not value.isprintable():
        raise ConfigError(f"{key}={show(value)}: expected a directory (a non-empty path of printable characters)")
    if "${" in DIR_INTERPOLATION.sub("", value):
        raise ConfigError(f"{key}={show(value)}: a directory may interpolate only the time (${{now:FORMAT}})")
    return value


# --------------------------------------------------------------------------- the composed config

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
        raise ConfigError(f"hydra.callbacks={show(callbacks)}: relsim runs only its own collector callback")
    for node in ("job_logging", "hydra_logging"):
        _check_logging(OmegaConf.to_container(hydra[node], resolve=False) if hydra.get(node) else {}, f"hydra.{node}")
    if list(hydra.searchpath):
        raise ConfigError(f"hydra.searchpath={show(list(hydra.searchpath))}: relsim reads only its own configs/")
    job = hydra.job
    if job.get("chdir") or job.get("env_set") or job.get("env_copy"):
        raise ConfigError("hydra.job: a config may not change the working directory or set environment variables")
    reference = _reference(_choice(cfg, "hydra/launcher"), _choice(cfg, "hydra/sweeper"))
    for key in ("hydra.job.name", "hydra.job.config_name", "hydra.job.config", "hydra.output_subdir", "hydra.env",
                "hydra.runtime.output_dir", "hydra.sweep.subdir", "output_dir"):
        if _raw(cfg, key) != _raw(reference, key):
            raise ConfigError(f"{key}={show(_raw(cfg, key))}: relsim sets this itself ({show(_raw(reference, key))})")
    for key in ("hydra.run.dir", "hydra.sweep.dir"):
        check_dir_text(_raw(cfg, key), key)
    if _raw(cfg, "hydra.mode") not in (None, "RUN", "MULTIRUN") and not str(_raw(cfg, "hydra.mode")).endswith("RUN"):
        raise ConfigError(f"hydra.mode={show(_raw(cfg, 'hydra.mode'))}: expected RUN or MULTIRUN")
    launcher = OmegaConf.to_container(hydra.launcher, resolve=False)
    for denied in LAUNCHER_DENIED[1:]:
        if _find(launcher, denied):
            raise ConfigError(f"hydra.launcher.{denied}: relsim does not run set-up commands or environments "
                              "from configs")
    check_launcher(_choice(cfg, "hydra/launcher"), launcher, OmegaConf.to_container(reference.hydra.launcher,
                                                                                    resolve=False))
    check_sweeper(cfg)
    for path, text in _strings(OmegaConf.to_container(cfg, resolve=False), ""):
        if not path.startswith("hydra") and path != "output_dir" and re.search(r"\$\{[^}]*:", text):
            raise ConfigError(f"{path}={show(text)}: relsim's settings may refer to other keys (${{a.b}}) but use no "
                              "resolvers (${name:...})")


def _choice(cfg: DictConfig, group: str) -> str:
    return str(OmegaConf.select(cfg, f"hydra.runtime.choices.{group}", default="") or "")


def _raw(cfg: DictConfig, key: str) -> Any:
    node = OmegaConf.select(cfg, key, default=None, throw_on_resolution_failure=False)
    parent, _, leaf = key.rpartition(".")
    container = OmegaConf.select(cfg, parent, default=None, throw_on_resolution_failure=False)
    if OmegaConf.is_dict(container) and leaf in container:
        raw = container._get_node(leaf)._value()
        return OmegaConf.to_container(raw, resolve=False) if OmegaConf.is_config(raw) else raw
    return node


@functools.cache
def _reference(launcher: str, sweeper: str) -> DictConfig:
    """relsim's config with only this launcher and sweeper chosen: what the hydra settings should be."""
    overrides = [f"hydra/launcher={launcher}"] if launcher else []
    overrides += [f"hydra/sweeper={sweeper}"] if sweeper else []
    return compose(overrides, hydra=True)


def _strings(node: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for k, value in enumerate(node):
            yield from _strings(value, f"{path}[{k}]")
    elif isinstance(node, str):
        yield path, node


def check_launcher(name: str, launcher: dict, reference: dict) -> None:
    """The launcher's settings: relsim's (configs/hydra/launcher/, the plugin's defaults) except the keys the
    launcher's table (`LAUNCHER_SETTINGS`) lets one set, each checked."""
    settable = LAUNCHER_SETTINGS.get(name, {})
    given, default = _flat(launcher), _flat(reference)
    for key in sorted(set(given) | set(default)):
        if key in given and key in default and _same(given[key], default[key]):
            continue
        full = f"hydra.launcher.{key}"
        if key not in settable or key not in given:
            allowed = ", ".join(settable) or "none"
            raise ConfigError(f"{full}={show(given.get(key))}: not a setting of the {name} launcher that relsim lets "
                              f"you change (allowed: {allowed}; the rest would be ignored or would open listeners, "
                              "folders or commands of their own)")
        settable[key](given[key], full)


def _flat(node: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(node, dict) and node:
        out = {}
        for key, value in node.items():
            out.update(_flat(value, f"{prefix}{key}."))
        return out
    return {prefix[:-1]: node} if prefix else {}


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b or (isinstance(a, (int, float)) and isinstance(b, (int, float))
                                             and not isinstance(a, bool) and not isinstance(b, bool) and a == b)


def check_sweeper(cfg: DictConfig) -> None:
    """The sweeper's own settings (the design sweeper checks its own; the basic one has params and a batch size)."""
    sweeper = OmegaConf.to_container(cfg.hydra.sweeper, resolve=False)
    if sweeper.get("_target_") == DESIGN_SWEEPER:
        from hydra_plugins.relsim_design_sweeper.design_sweeper import (DesignError, _flatten, check_settings,
                                                                        settings_of)

        for path, text in _strings(sweeper, "hydra.sweeper"):
            if "${" in text:
                raise ConfigError(f"{path}={show(text)}: the design's settings are values, never interpolations")
        for part in ("bounds", "levels"):
            node = sweeper.get(part)
            for key in (_flatten(node) if isinstance(node, dict) else {}):
                design_key(key, f"hydra.sweeper.{part}")
        for part in ("integers", "simplex"):
            node = sweeper.get(part)
            for key in (node if isinstance(node, list) else []):
                design_key(key, f"hydra.sweeper.{part}")
        try:
            check_settings(settings_of(cfg.hydra.sweeper))
        except DesignError as exc:
            raise ConfigError(str(exc)) from None
        return
    extra = sorted(set(sweeper) - {"_target_", "params", "max_batch_size"})
    if extra:
        raise ConfigError(f"hydra.sweeper.{extra[0]}: not a setting of the basic sweeper (params, max_batch_size); "
                          "for a design, choose hydra/sweeper=design")
    if sweeper.get("max_batch_size") is not None:
        number(sweeper["max_batch_size"], "hydra.sweeper.max_batch_size", 1, MAX_JOBS, integer=True)
    params = sweeper.get("params")
    if params is not None and (not isinstance(params, dict) or not all(isinstance(v, (str, int, float)) and
                                                                       not isinstance(v, bool) for v in params.values())):
        raise ConfigError(f"hydra.sweeper.params={show(params)}: expected a mapping of keys to values (a,b,c or "
                          "range(...))")


def design_key(key: Any, where: str) -> None:
    """A key a design varies: one of relsim's settings, as a command line may set it (never Hydra's own, never
    where files go)."""
    if not isinstance(key, str):
        raise ConfigError(f"{where}: {show(key)} is not a key")
    bare = key.lstrip("+~")
    if bare == "hydra" or bare.startswith(("hydra.", "hydra/")) or bare == "output_dir":
        raise ConfigError(f"{where}.{key}: a design varies relsim's settings, not Hydra's own or where files go")
    if bare.split("@")[0] in _groups():  # a group: its levels are option names, each checked as the job reads it
        return
    try:
        check_override(f"{key}=0")
    except ConfigError as exc:
        raise ConfigError(f"{where}.{key}: {exc}") from None


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
                raise ConfigError(f"{path}.{key}={show(value)}: logging may use only {', '.join(sorted(HANDLERS))}")
            if key == "filename" and (not isinstance(value, str) or not value.startswith("${hydra.runtime.output_dir}/")
                                      or ".." in value.split("/")):
                raise ConfigError(f"{path}.filename={show(value)}: a log file must be in the run's directory")
            _check_logging(value, f"{path}.{key}")
    elif isinstance(node, list):
        for value in node:
            _check_logging(value, path)


# --------------------------------------------------------------------------- the jobs of a sweep

@dataclasses.dataclass
class Jobs:
    """The jobs of a sweep: each job's overrides are `slots` in order, a fixed text or the index of a varying key
    (`keys`), whose values the job's row holds."""

    slots: list[str | int]
    keys: list[str]
    count: int
    rows: Any  # a callable giving an iterator of tuples of values (one per key), `count` of them

    def is_group(self, k: int) -> bool:
        key = self.keys[k].lstrip("+~")
        return key in _groups() or key.split("@")[0] in _groups()

    def overrides(self, row: tuple, values: bool = True) -> list[str]:
        """One job's overrides as text (without its relsim values when not `values`: its groups only)."""
        return [slot if isinstance(slot, str) else f"{self.keys[slot]}={_value_text(row[slot])}"
                for slot in self.slots if isinstance(slot, str) or values or self.is_group(slot)]


def _first_job(overrides: list[str], parsed: list) -> list[str]:
    """The command line with each sweep at its first value (what is composed first)."""
    first = []
    for text, o in zip(overrides, parsed, strict=True):
        if o.is_sweep_override():
            group = o.key_or_group
            values = _choices(o, group) if group in _groups() else _axis(o)
            first.append(f"{o.get_key_element()}={_value_text(values[0])}")
        else:
            first.append(text)
    return first


def _axis(o) -> list[Any]:
    """A swept key's values, typed as Hydra parses them; at most MAX_JOBS, each once."""
    from hydra.core.override_parser.types import RangeSweep

    value = o.value()
    if isinstance(value, RangeSweep):
        start, stop, step = value.start, value.stop, value.step
        if not all(_finite_number(v) for v in (start, stop, step)) or step == 0:
            raise ConfigError(f"{show(o.input_line)}: range(start, stop, step) takes finite numbers and a step other "
                              "than 0")
        n = max(0, math.ceil((stop - start) / step))
        if n > MAX_JOBS:
            raise ConfigError(f"{show(o.input_line)}: {n:,} values; a sweep may have at most {MAX_JOBS:,} jobs")
    values = list(o.sweep_iterator())
    if not values:
        raise ConfigError(f"{show(o.input_line)}: sweeps no values")
    seen = set()
    for v in values:
        canon = _canonical_json(v)
        if canon in seen:
            raise ConfigError(f"{show(o.input_line)}: sweeps {show(v)} twice (12 and 12.0 are one value); give each "
                              "value once")
        seen.add(canon)
    return values


def _finite_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and (isinstance(v, int) or math.isfinite(v))


def _value_text(value: Any) -> str:
    """A typed value back as override text (Hydra parses it to the same value)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return value if NAME.fullmatch(value) else "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, list):
        return "[" + ",".join(_value_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}:{_value_text(v)}" for k, v in value.items()) + "}"
    return str(value)


def sweep_jobs(cfg: DictConfig, overrides: list[str], parsed: list) -> Jobs:
    """The jobs of a multirun: the basic sweeper's combinations, or the design sweeper's rows."""
    sweeper = OmegaConf.to_container(cfg.hydra.sweeper, resolve=False)
    if sweeper.get("_target_") == DESIGN_SWEEPER:
        return _design_jobs(cfg, overrides, parsed)
    given = {o.key_or_group for o in parsed}
    params = sweeper.get("params") or {}
    extra = [f"{key}={value}" for key, value in params.items() if key not in given]
    overrides, parsed = overrides + extra, parsed + [check_override(o) for o in extra]
    slots: list[str | int] = []
    keys, axes = [], []
    for text, o in zip(overrides, parsed, strict=True):
        if not o.is_sweep_override():
            slots.append(text)
            continue
        group = o.key_or_group
        axes.append(_choices(o, group) if group in _groups() else _axis(o))
        slots.append(len(keys))
        keys.append(o.get_key_element())
    count = math.prod(len(a) for a in axes) if axes else 1
    if count > MAX_JOBS:
        raise ConfigError(f"{' '.join(k + '=...' for k in keys)}: {count:,} combinations; a sweep may have at most "
                          f"{MAX_JOBS:,} jobs")
    return Jobs(slots=slots, keys=keys, count=count, rows=lambda: itertools.product(*axes))


def _design_jobs(cfg: DictConfig, overrides: list[str], parsed: list) -> Jobs:
    from hydra_plugins.relsim_design_sweeper.design_sweeper import (DesignError, level_text, make_design, settings_of,
                                                                    typed_rows)

    swept = [o.input_line for o in parsed if o.is_sweep_override()]
    if swept:
        raise ConfigError(f"{show(swept[0])}: a design sweeper's jobs are its rows; sweep a key with "
                          "hydra.sweeper.levels or hydra.sweeper.bounds instead")
    settings = settings_of(cfg.hydra.sweeper)
    try:
        problem, design, discrete = make_design(settings)
    except DesignError as exc:
        raise ConfigError(str(exc)) from None
    keys = list(problem["names"])
    fixed = {o.key_or_group.lstrip("+~") for o in parsed}
    for key in keys:  # each key as the command line's checks see it; each level as the job will read it
        design_key(key, "hydra.sweeper")
        if key.lstrip("+~") in fixed:
            raise ConfigError(f"hydra.sweeper: {key} is varied by the design and also set on the command line, "
                              "whose value would be every job's; give it once")
        for level in discrete.get(key, []):
            o = check_override(f"{key}={level_text(level, key)}")
            if o.is_sweep_override() or _canonical_json(o.value()) != _canonical_json(level):
                raise ConfigError(f"hydra.sweeper.levels.{key}: {show(level)} would not reach the job as given")
    typed = typed_rows(settings, problem, design, discrete)
    if len(typed) > MAX_JOBS:
        raise ConfigError(f"hydra.sweeper: {len(typed):,} rows; a sweep may have at most {MAX_JOBS:,} jobs")
    return Jobs(slots=[*range(len(keys)), *overrides], keys=keys, count=len(typed), rows=lambda: iter(typed))


def check_jobs(jobs: Jobs) -> tuple[int, str]:
    """Check every job of a sweep as a run, in bulk; returns the number of jobs and the sweep's identity (a hash
    of every job's settings, compared as values: 12 and 12.0 are the same).

    Each distinct choice of config groups is composed once; each job's own values are then set on those
    settings as Hydra sets them (`_apply`, checked against Hydra's own composition on the first job of each
    choice), and the job's run specification is built (`run_spec`, its parts memoized).
    """
    group_at = [k for k in range(len(jobs.keys)) if jobs.is_group(k)]
    values_at = [k for k in range(len(jobs.keys)) if k not in group_at]
    digest = hashlib.sha256()
    bases: dict[tuple, dict | None] = {}
    with memoized():
        for n, row in enumerate(jobs.rows()):
            try:
                choice = tuple(json.dumps(row[k], default=str) for k in group_at)
                if choice not in bases:  # the first job of this choice: composed by Hydra, then the bulk path
                    exact = resolved(compose(jobs.overrides(row), hydra=True))
                    base = compose(jobs.overrides(row, values=False), hydra=True)
                    check_composed(base)
                    unresolved = {k: OmegaConf.to_container(base[k], resolve=False) if OmegaConf.is_config(base[k])
                                  else base[k] for k in base if k not in ("hydra", "output_dir")}
                    mirrored = _apply(unresolved, [(jobs.keys[k], row[k]) for k in values_at])
                    bases[choice] = unresolved if _canonical_json(mirrored) == _canonical_json(exact) else None
                    plain = exact
                elif bases[choice] is None:  # settings relsim cannot derive in bulk: Hydra composes each job
                    if jobs.count > MAX_COMBINATIONS:
                        raise ConfigError(f"{jobs.count:,} jobs whose settings cannot be checked in bulk; at most "
                                          f"{MAX_COMBINATIONS} such jobs")
                    plain = resolved(compose(jobs.overrides(row), hydra=True))
                else:
                    plain = _apply(bases[choice], [(jobs.keys[k], row[k]) for k in values_at])
                run_spec(plain)
            except ConfigError as exc:
                point = " ".join(f"{jobs.keys[k]}={_value_text(row[k])}" for k in range(len(row)))
                raise ConfigError(f"{exc} (in the sweep's job {n}: {point})" if point else str(exc)) from None
            if bases.get(choice) is None or n == 0:  # identity: the job's settings, as values
                digest.update(_canonical_json(run_identity_of(plain)).encode())
            else:  # the same, in bulk: the choice's settings once, then the job's own values
                digest.update(_base_identity(bases[choice]).encode())
                digest.update(_canonical_json([[jobs.keys[k].lstrip("+"), row[k]] for k in values_at
                                               if jobs.keys[k].lstrip("+") not in ("workers", "progress")]).encode())
    return jobs.count, digest.hexdigest()[:16]


def _base_identity(base: dict) -> str:
    """The identity of a choice's settings (remembered while checking a sweep)."""
    cache = memo()
    key = ("identity", id(base))
    if cache is None or key not in cache or cache[key][0] is not base:
        value = (base, hashlib.sha256(_canonical_json(run_identity_of(base)).encode()).hexdigest())
        if cache is None:
            return value[1]
        cache[key] = value
    return cache[key][1]


def _apply(base: dict, values: list[tuple[str, Any]]) -> dict:
    """The settings with each `key=value` set as Hydra sets it (a mapping merges into a mapping), then resolved.
    Parts not set stay the same objects as the base's (so their checks are remembered)."""
    cache = memo() if memo() is not None else {}
    refs = cache.get(("refs", id(base)))
    if refs is None or refs[0] is not base:
        refs = cache[("refs", id(base))] = (base, _has_refs(base))
    out = dict(base)
    for key, value in values:
        mode, path = ("add" if key.startswith("+") and not key.startswith("++") else
                      "force" if key.startswith("++") else "set"), key.lstrip("+").split(".")
        node = out
        for part in path[:-1]:
            child = node.get(part) if isinstance(node, dict) else None
            if not isinstance(child, dict):
                if mode == "set":
                    raise ConfigError(f"{key}: unknown key")
                child = {}
            child = dict(child)
            node[part] = child
            node = child
        leaf = path[-1]
        if mode == "set" and leaf not in node:
            raise ConfigError(f"{key}: unknown key")
        if mode == "add" and leaf in node:
            raise ConfigError(f"+{'.'.join(path)}: is already set; use {'.'.join(path)}=... to change it")
        node[leaf] = _merged(node.get(leaf), value) if isinstance(value, dict) else value
    return _resolve_refs(out, refs[1])



def _merged(old: Any, new: dict) -> Any:
    if not isinstance(old, dict):
        return new
    out = dict(old)
    for k, v in new.items():
        out[k] = _merged(out.get(k), v) if isinstance(v, dict) else v
    return out


REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_.]*)\}")


def _resolve_refs(plain: dict, refs: bool = True) -> dict:
    """Resolve `${a.b}` references (the only interpolations relsim's settings may hold); `refs`: whether there are
    any (the caller knows)."""
    def lookup(path: str, depth: int) -> Any:
        node: Any = plain
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                raise ConfigError(f"${{{path}}}: refers to a key that does not exist")
            node = node[part]
        return walk(node, depth + 1)

    def walk(node: Any, depth: int = 0) -> Any:
        if depth > 20:
            raise ConfigError("a reference (${...}) refers to itself")
        if isinstance(node, dict):
            out = {k: walk(v, depth) for k, v in node.items()}
            return node if all(out[k] is node[k] for k in node) else out  # unchanged parts stay the same objects
        if isinstance(node, list):
            out = [walk(v, depth) for v in node]
            return node if all(a is b for a, b in zip(out, node, strict=True)) else out
        if isinstance(node, str) and "${" in node:
            whole = REF.fullmatch(node)
            if whole:
                return lookup(whole.group(1), depth)
            return REF.sub(lambda m: str(lookup(m.group(1), depth)), node)
        return node

    return walk(plain) if refs else plain


def _has_refs(node: Any) -> bool:
    if isinstance(node, dict):
        return any(_has_refs(v) for v in node.values())
    if isinstance(node, list):
        return any(_has_refs(v) for v in node)
    return isinstance(node, str) and "${" in node


def canonical(value: Any) -> Any:
    """A value as relsim compares settings: numbers by value (12 and 12.0 alike), mappings by key."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, Mapping):
        return {str(k): canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    return str(value)


def _canonical_json(value: Any) -> str:
    return json.dumps(canonical(value), sort_keys=True, default=str)


def run_identity_of(plain: Mapping[str, Any]) -> dict:
    """What makes two runs the same run: their settings (as values), without where and how fast they run."""
    return {k: v for k, v in plain.items() if k not in ("workers", "progress")}


def run_identity(plain: Mapping[str, Any]) -> str:
    """A run's identity as a short hash."""
    return hashlib.sha256(_canonical_json(run_identity_of(plain)).encode()).hexdigest()[:16]


# --------------------------------------------------------------------------- directories and claims

def check_directory(cfg: DictConfig, multirun: bool) -> Path:
    """The run (or sweep) directory can be created and written (nothing is left behind); returns it."""
    key = "hydra.sweep.dir" if multirun else "hydra.run.dir"
    directory = resolve_directory(cfg, key)
    check_writable_dir(directory, key)
    return directory


def resolve_directory(cfg: DictConfig, key: str) -> Path:
    """The directory `key` names, its ${now:...} resolved (once: the caller passes the result on)."""
    try:
        text = str(OmegaConf.select(cfg, key, throw_on_resolution_failure=True))
    except Exception as exc:  # noqa: BLE001 - any resolver failure is the user's value
        raise ConfigError(f"{key}: cannot be resolved ({str(exc).splitlines()[0]})") from None
    check_dir_text(text, key)
    return Path(text)


def check_writable_dir(directory: Path, key: str) -> None:
    """A directory that exists (as a directory) or can be made where it is named, with a name the file system takes."""
    for part in directory.parts:
        if len(os.fsencode(part)) > 255:
            raise ConfigError(f"{key}={show(str(directory))}: a name of {len(os.fsencode(part))} bytes; at most 255")
    if len(os.fsencode(str(directory))) > 4000:
        raise ConfigError(f"{key}={show(str(directory))}: a path of more than 4,000 bytes")
    if directory.exists() and not directory.is_dir():
        raise ConfigError(f"{key}={show(str(directory))}: exists and is not a directory")
    probe = directory
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise ConfigError(f"{key}={show(str(directory))}: cannot be created ({probe} is not a directory)")
    if probe == directory:  # it exists: may files be made in it? (asked, not tried: the folder is left as it was)
        if not os.access(directory, os.W_OK | os.X_OK):
            raise ConfigError(f"{key}={show(str(directory))}: cannot be written (permission denied or read-only)")
    else:
        try:  # can a directory be made there? (a trial directory, removed at once: nothing is left behind)
            os.rmdir(tempfile.mkdtemp(dir=probe, prefix=".relsim-probe-"))
        except OSError as exc:
            raise ConfigError(f"{key}={show(str(directory))}: cannot be created ({probe}: {exc.strerror})") from None
    check_free_space(probe, key, directory)


#: The least free space a command starts writing into (a run's tables and page take a few MB).
MIN_FREE_BYTES = 16 * 1024 * 1024


def check_free_space(probe: Path, key: str, directory: Path) -> None:
    """The file system where `directory` goes has at least MIN_FREE_BYTES free (a full disk is refused before any
    work; one that fills during the work is one line then)."""
    try:
        info = os.statvfs(probe)
    except OSError:
        return
    free = info.f_bavail * info.f_frsize
    if info.f_blocks and free < MIN_FREE_BYTES:
        raise ConfigError(f"{key}={show(str(directory))}: only {free / 2**20:.1f} MB free there; at least "
                          f"{MIN_FREE_BYTES // 2**20} MB are needed")


#: The file that marks a directory as one run's, and one sweep's.
RUN_MARK, SWEEP_MARK = ".relsim-run.json", ".relsim-sweep.json"
#: Open claims of this process: directory -> the open, locked mark (released when the process ends).
_CLAIMS: dict[str, Any] = {}


@dataclasses.dataclass
class Claim:
    """A directory claimed for one run or sweep; `created` when this process made it."""

    directory: Path
    created: bool
    resumed: bool


def claim(checked: Checked, directory: Path | None = None) -> Claim:
    """Claim the run's or sweep's directory atomically: refused if it holds another run or sweep, or files that are not
    relsim's, or if another relsim is writing there now; the same run or sweep again resumes it."""
    key = checked.dir_key
    directory = directory or resolve_directory(checked.cfg, key)
    return claim_dir(directory, key, SWEEP_MARK if checked.multirun else RUN_MARK, checked.identity,
                     checked.describe)


def claim_dir(directory: Path, key: str, mark_name: str, identity: str, describe: str = "") -> Claim:
    """Claim `directory` for the run or sweep `identity` (see `claim`); the lock lasts as long as this process."""
    directory = Path(directory)
    mark = directory / mark_name
    if _holds_files(directory):  # someone else's folder, or another run's, is refused before anything is written there
        try:
            text = mark.read_bytes() if mark.is_file() else None
        except OSError:
            pass  # an unreadable mark is said below, under the lock
        else:
            _refuse_other(directory, mark, key, identity, text)
    check_writable_dir(directory, key)
    existed = directory.is_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{key}={show(str(directory))}: cannot be created ({exc.strerror})") from None
    held = _CLAIMS.get(str(directory.resolve()))
    if held is not None:
        return Claim(directory, not existed, True)
    record = json.dumps({"identity": identity, "what": describe, "pid": os.getpid(),
                         "claimed": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}, indent=1)
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".relsim-claim-")
    except OSError as exc:
        raise ConfigError(f"{key}={show(str(directory))}: cannot be written ({exc.strerror})") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(fd, record.encode())
        os.fsync(fd)
        if not any(p.name not in (Path(tmp).name,) and not p.name.startswith(".relsim-claim-")
                   for p in directory.iterdir()):
            try:
                os.link(tmp, mark)  # atomic: exactly one claimant makes the mark, already locked and complete
                _CLAIMS[str(directory.resolve())] = os.fdopen(fd, "rb")
                return Claim(directory, not existed, False)
            except FileExistsError:
                pass
        os.close(fd)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.close(fd)
        raise ConfigError(f"{key}={show(str(directory))}: cannot be written ({exc.strerror})") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    return _join(directory, mark, key, identity)


def _holds_files(directory: Path) -> bool:
    """`directory` is a folder with something in it (other than a claimant's passing temporary file)."""
    try:
        return directory.is_dir() and any(not p.name.startswith(".relsim-claim-") for p in directory.iterdir())
    except OSError:
        return False


def _refuse_other(directory: Path, mark: Path, key: str, identity: str, text: bytes | None) -> None:
    """Refuse a directory that does not hold this run or sweep (`text`: its mark's contents, None if it has none)."""
    what = "sweep" if mark.name == SWEEP_MARK else "run"
    if text is None:
        other = RUN_MARK if mark.name == SWEEP_MARK else SWEEP_MARK
        if (directory / other).is_file():
            raise ConfigError(f"{key}={directory}: holds a {'run' if what == 'sweep' else 'sweep'}, not a {what}; "
                              "choose a new directory")
        raise ConfigError(f"{key}={directory}: is not empty and holds no relsim {what}; choose a new directory")
    try:
        recorded = json.loads(text.decode() or "{}")
    except (ValueError, UnicodeDecodeError):
        recorded = {}
    if not isinstance(recorded, dict) or recorded.get("identity") != identity:
        named = (recorded.get("what") or " ".join(recorded.get("overrides", []))) if isinstance(recorded, dict) else ""
        raise ConfigError(f"{key}={directory}: holds another {what}" + (f" ({named})" if named else "")
                          + "; choose a new directory")


def _join(directory: Path, mark: Path, key: str, identity: str) -> Claim:
    """The directory holds something: the same run or sweep (resume it, unless it is running now), or refuse."""
    if not mark.is_file():
        _refuse_other(directory, mark, key, identity, None)
    try:
        handle = open(mark, "rb")  # noqa: SIM115 - held open (locked) for the life of the process
    except OSError as exc:
        raise ConfigError(f"{key}={directory}: its {mark.name} cannot be read ({exc.strerror})") from None
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise ConfigError(f"{key}={directory}: another relsim is writing there now; wait for it, or choose a new "
                          "directory") from None
    try:
        _refuse_other(directory, mark, key, identity, handle.read())
    except ConfigError:
        handle.close()
        raise
    _CLAIMS[str(directory.resolve())] = handle
    return Claim(directory, False, True)


def release(directory: Path) -> None:
    """Release this process's claim of `directory` (a test's, or before removing the directory)."""
    handle = _CLAIMS.pop(str(Path(directory).resolve()), None)
    if handle is not None:
        handle.close()


def quote_path(path: Path | str) -> str:
    """A path as a Hydra override value that Hydra reads back unchanged (quoted, nothing interpolated).

    In Hydra's quoted strings a run of backslashes escapes only when a quote or the string's end follows it, so
    such runs are doubled; quotes become \\' and ${ becomes \\${."""
    text = str(path).replace("${", "\\${")
    out, k = [], 0
    while k < len(text):
        if text[k] == "\\":
            end = k
            while end < len(text) and text[end] == "\\":
                end += 1
            run = text[k:end]
            out.append(run * 2 if end == len(text) or text[end] == "'" else run)
            k = end
        elif text[k] == "'":
            out.append("\\'")
            k += 1
        else:
            out.append(text[k])
            k += 1
    return "'" + "".join(out) + "'"


# --------------------------------------------------------------------------- files every command reads or writes

#: The largest input file a command reads (a retention curve, a posterior, a record).
MAX_INPUT_BYTES = 200 * 1024 * 1024


def int_in(value: int, key: str, lo: int, hi: int, why: str = "") -> int:
    """A command's integer option in [lo, hi], or ConfigError "KEY=VALUE: expected an integer in [lo, hi]"."""
    if not lo <= value <= hi:
        raise ConfigError(f"{key}={value}: expected an integer in [{lo}, {hi}]{why}")
    return value


def input_file(path: str | Path, key: str, max_bytes: int = MAX_INPUT_BYTES) -> Path:
    """A file to read: it exists, is a regular file (not a FIFO, device or folder) and is at most `max_bytes`."""
    path = Path(path)
    try:
        info = path.stat()
    except OSError as exc:
        raise ConfigError(f"{key}={show(str(path))}: {'no such file' if exc.errno == 2 else exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "a FIFO" if stat.S_ISFIFO(info.st_mode) else \
            "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode) else "not a regular file"
        raise ConfigError(f"{key}={show(str(path))}: is {kind}; expected a file")
    if info.st_size > max_bytes:
        raise ConfigError(f"{key}={show(str(path))}: {info.st_size:,} bytes; at most {max_bytes:,}")
    if not os.access(path, os.R_OK):
        raise ConfigError(f"{key}={show(str(path))}: cannot be read")
    return path


def output_dir(path: str | Path, key: str) -> Path:
    """A directory to write into: it is one, or can be made, and a file can be written there (a trial file,
    removed at once)."""
    path = Path(path)
    check_writable_dir(path, key)
    probe = path if path.is_dir() else path.parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        fd, name = tempfile.mkstemp(dir=probe, prefix=".relsim-probe-")
        try:
            os.write(fd, b"x" * 1024)
            os.fsync(fd)
        finally:
            os.close(fd)
            os.unlink(name)
    except OSError as exc:
        raise ConfigError(f"{key}={show(str(path))}: cannot be written ({exc.strerror})") from None
    return path


def output_file(path: str | Path, key: str) -> Path:
    """A file to write: not a folder, in a directory that can be written."""
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{key}={show(str(path))}: is a folder; expected a file name")
    if path.exists() and not path.is_file():
        raise ConfigError(f"{key}={show(str(path))}: is not a regular file")
    output_dir(path.parent if str(path.parent) else Path("."), key)
    return path


def write_failed(exc: OSError, what: str = "the output") -> str:
    """The one line for a write that failed (a full disk, a read-only file system, a missing folder)."""
    name = exc.filename or what
    why = exc.strerror or " ".join(str(exc).split())[:160] or type(exc).__name__
    return f"cannot write {name}: {why}"
