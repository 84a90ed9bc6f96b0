"""numba's cache of the compiled rules is dropped when any sim/ source changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from relsim import _cache


def test_stale_compilations_are_dropped_when_a_source_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setattr(_cache, "_HERE", tmp_path)
    (tmp_path / "rules.py").write_text("x = 1\n")
    cache = tmp_path / "__pycache__"
    cache.mkdir()
    compiled = cache / "vectorized._day-31.py312.nbi"
    compiled.write_text("old")
    _cache.ensure_fresh()
    assert not compiled.exists()  # no stamp yet: nothing can be trusted
    compiled.write_text("fresh")
    _cache.ensure_fresh()
    assert compiled.exists()  # same sources: the cache is kept
    (tmp_path / "rules.py").write_text("x = 2\n")  # a rule module changes
    _cache.ensure_fresh()
    assert not compiled.exists()


def test_a_cache_outside_sim_whose_loops_call_the_rules_is_dropped_with_them(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """experiments/bench/calibration.py's compiled loops hold copies of the rules: they go when a rule changes."""
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    sim, other = tmp_path / "sim", tmp_path / "bench" / "__pycache__"
    sim.mkdir()
    other.mkdir(parents=True)
    monkeypatch.setattr(_cache, "_HERE", sim)
    (sim / "rules.py").write_text("x = 1\n")
    compiled = other / "calibration._timed_days-99.py313.nbi"
    _cache.ensure_fresh(other)
    compiled.write_text("fresh")
    _cache.ensure_fresh(other)
    assert compiled.exists()
    (sim / "rules.py").write_text("x = 2\n")
    _cache.ensure_fresh()  # sim's own cache is stamped afresh ...
    _cache.ensure_fresh(other)  # ... and the other folder's has its own stamp
    assert not compiled.exists()
