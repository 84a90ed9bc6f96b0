"""The relsim commands and what they orchestrate.

- Commands (entry points, thin): ``main`` (relsim), ``validate``, ``calibrate``, ``report``, ``sweep``
  (relsim-collect), and ``app.server`` (relsim-app); ``cli`` is their shared parser and error line.
- Run plumbing: ``config``, ``scenarios``, ``runner``, ``outputs``, ``sweep``.
- Experiments: ``validation`` (the stylized facts), ``calibrate`` (fitting churn behaviour to a curve);
  their statistics, figures and pages are in relsim.analysis (``facts``, ``calibration``).
- ``app``: the educator's page (lesson, charts, network, live transport, layout, server).
- ``bench``: the benchmarks (model, sweep, app).
"""
