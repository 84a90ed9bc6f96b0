"""The console commands: each parses its command line, calls what does the work, and prints the result.

One module a command of pyproject.toml's [project.scripts] (relsim-app's is experiments/app/server.py, the
benchmarks' are in experiments/bench/): ``compare`` (relsim), ``validate``, ``calibrate``, ``report_sweep``
(relsim-report), ``collect_sweep`` (relsim-collect), ``audit_mechanisms`` (relsim-audit), ``write_findings``
(relsim-findings). ``cli`` is their shared parser and one-line error; ``usage`` the text of ``relsim --help``.
"""
