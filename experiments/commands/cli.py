"""Command-line plumbing shared by relsim's commands: one-line errors and exit code 2 for bad input, exact option
names, warnings as one line, and no code from the working folder in anything a command starts."""

from __future__ import annotations

import argparse
import os
import sys
import warnings
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
