"""The relsim commands and what they run, one folder per job.

- ``commands``: the console commands, thin (parse, call, print): ``compare`` (relsim), ``validate``
  (relsim-validate), ``calibrate`` (relsim-calibrate), ``report_sweep`` (relsim-report), ``collect_sweep``
  (relsim-collect), ``audit_mechanisms`` (relsim-audit), ``write_findings`` (relsim-findings); ``cli`` is their
  shared parser and error line, ``usage`` the text of ``relsim --help``.
- ``plumbing``: what every run goes through: ``config`` (the one config path), ``checks``, ``scenarios``,
  ``runner``, ``outputs`` (the files of a run) and ``collect`` (a sweep's jobs into one dataset).
- ``inference``: calibration and the stylized facts: ``space`` (the parameters and their priors), ``patterns``
  (the targets), ``observers``, ``battery``, ``abc_smc``, ``least_squares``, ``curve``, ``preset``, ``modes``
  (what relsim-calibrate runs) and ``fact_checks`` (what relsim-validate runs). Their statistics, figures and
  pages are in relsim.analysis (``facts``, ``calibration``).
- ``app``: the educator's page (relsim-app). ``bench``: the benchmarks (relsim-bench).

``config``, ``main`` and ``audit`` here are the old names of ``plumbing.config``, ``commands.compare`` and
``commands.audit_mechanisms``, kept for one release.
"""
