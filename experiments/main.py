"""Moved: the `relsim` command is relsim.experiments.commands.compare (experiments/commands/compare.py).

This old name is kept for one release: `python -m relsim.experiments.main ...` still runs `relsim`.
"""

from .commands.compare import execute, main  # noqa: F401

if __name__ == "__main__":
    main()
