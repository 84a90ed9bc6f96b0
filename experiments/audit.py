"""Moved: `relsim-audit` is relsim.experiments.commands.audit_mechanisms (experiments/commands/audit_mechanisms.py).

This old name is kept for one release: `python -m relsim.experiments.audit ...` still runs `relsim-audit`.
"""

from .commands.audit_mechanisms import DEFAULT_DOC, main, run, write  # noqa: F401

if __name__ == "__main__":
    main()
