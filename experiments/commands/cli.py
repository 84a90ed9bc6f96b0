"""Command-line plumbing shared by relsim's commands: one-line errors and exit code 2 for bad input, exact option
names, warnings as one line, and no code from the working folder in anything a command starts."""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Sequence
from typing import NoReturn

#: The module of the `relsim` command (relsim-audit and relsim-findings run it in a subprocess: `relsim_command`).
RELSIM = "relsim.experiments.commands.compare"


def relsim_command() -> list[str]:
    """How relsim-audit and relsim-findings start `relsim`: this interpreter by its absolute path, isolated (`-I`:
    neither the working folder nor PYTHON* variables can put code before the installed package)."""
    return [sys.executable, "-I", "-m", RELSIM]


def no_code_from_here() -> None:
    """For everything a command starts (Hydra's job processes, worker pools, Dask workers): Python does not put
    the working folder first on its import path (PYTHONSAFEPATH), so a folder named like a package there
    (relsim, numpy, ...) is never imported in their place."""
    os.environ["PYTHONSAFEPATH"] = "1"


def show_warnings(prog: str) -> None:
    """Print relsim's warnings (a value used, but not as given) as one line each: `prog: warning: ...`."""
    from relsim.params import ConfigWarning

    shown: set[str] = set()
    default = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001
        if not issubclass(category, ConfigWarning):
            default(message, category, filename, lineno, file, line)
            return
        text = str(message)
        if text not in shown:
            shown.add(text)
            print(f"{prog}: warning: {text}", file=sys.stderr, flush=True)

    warnings.showwarning = show
    warnings.simplefilter("always", ConfigWarning)


def error(prog: str, message: str) -> None:
    """Print `prog: error: message` as one line on stderr."""
    print(f"{prog}: error: {message}", file=sys.stderr)


def fail(prog: str, message: str) -> NoReturn:
    """Print the one-line error and exit with code 2."""
    error(prog, message)
    sys.exit(2)


#: The optional parts (pyproject.toml's extras) and a module each needs; `bash setup.sh EXTRA` installs one.
EXTRAS = {"research": ("SALib", "ema_workbench", "kaleido"), "calibrate": ("pyabc",),
          "app": ("solara", "anywidget", "uvicorn"), "cluster": ("ray", "submitit"), "optimize": ("optuna", "cmaes"),
          "npe": ("sbijax", "jax")}
#: Which part a `relsim` argument needs: an experiment or a launcher -> extra.
NEEDS = {"+experiment=sensitivity": "research", "+experiment=discovery": "research",
         "hydra/launcher=ray_local": "cluster", "hydra/launcher=ray_cluster": "cluster",
         "hydra/launcher=submitit_local": "cluster", "hydra/launcher=submitit_slurm": "cluster"}


def missing(extra: str) -> str | None:
    """The first module of an optional part that is not installed (None when the part is installed)."""
    import importlib.util

    for module in EXTRAS[extra]:
        try:
            if importlib.util.find_spec(module) is None:
                return module
        except (ImportError, ValueError):
            return module
    return None


def require(prog: str, extra: str, what: str) -> None:
    """Exit with one line naming the command that installs `extra` when it is not installed (before any work)."""
    module = missing(extra)
    if module is not None:
        fail(prog, f"{what} needs relsim's {extra} part ({module} is not installed); install it with "
                   f"`bash setup.sh {extra}` (or pip install 'relsim[{extra}]')")


def require_for(prog: str, args: Sequence[str]) -> None:
    """`require` each optional part that these `relsim` arguments need (+experiment=sensitivity needs SALib)."""
    for arg in args:
        extra = NEEDS.get(arg.replace(" ", ""))
        if extra:
            require(prog, extra, arg)


def version_line(prog: str = "relsim") -> str:
    """'relsim 0.1.0 (commit 763daca12)': relsim's version and the commit of its sources ('-dirty' with changes not
    committed; 'unknown' outside a git checkout, e.g. installed from a wheel)."""
    import importlib.metadata

    from ..plumbing.outputs import short_commit

    try:
        version = importlib.metadata.version("relsim")
    except importlib.metadata.PackageNotFoundError:
        version = "(not installed)"
    return f"{prog} {version} (commit {short_commit()})"


def summary(doc: str | None) -> str:
    """A module docstring's first paragraph: a command's description."""
    return (doc or "").split("\n\n")[0]


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit code 2, and whose options are taken only as spelled
    (no abbreviations: `--all` is not `--allow-remote`)."""

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        kwargs["allow_abbrev"] = False
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        """Report a bad argument in one line and exit with code 2."""
        fail(self.prog, " ".join(message.split()))
