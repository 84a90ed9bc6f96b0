"""The run plumbing every command shares: config in, tidy tables out.

``config`` composes and checks a run (`load(overrides)` -> RunSpec), ``checks`` vets a command line before
anything runs, ``scenarios`` applies what-ifs, ``runner`` runs every arm on every seed, ``outputs`` writes a
run's files and ``collect`` gathers a sweep's jobs into one dataset.
"""
