"""Moved: the one config path is relsim.experiments.plumbing.config (experiments/plumbing/config.py).

This old name is kept for one release, so that `from relsim.experiments.config import load` still works.
"""

from .plumbing.config import *  # noqa: F403
from .plumbing.config import RunSpec, compose, load, options, plain_config, run_spec  # noqa: F401
