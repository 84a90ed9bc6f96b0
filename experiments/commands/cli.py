"""Command-line plumbing shared by relsim's commands: one-line errors and exit code 2 for bad input."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

#: The module of the `relsim` command, as `python -m` runs it (relsim-audit and relsim-findings run it so).
RELSIM = "relsim.experiments.commands.compare"


def error(prog: str, message: str) -> None:
    """Print `prog: error: message` as one line on stderr."""
    print(f"{prog}: error: {message}", file=sys.stderr)


def fail(prog: str, message: str) -> NoReturn:
    """Print the one-line error and exit with code 2."""
    error(prog, message)
    sys.exit(2)


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
    """An argument parser whose errors are one line and exit code 2."""

    def error(self, message: str) -> NoReturn:
        """Report a bad argument in one line and exit with code 2."""
        fail(self.prog, message)
