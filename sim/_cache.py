"""Keep numba's on-disk cache of the compiled rules in step with the sources.

numba (`cache=True`) checks only the timestamp of the file that holds a cached function, not of the
modules whose functions it calls: after an edit to, say, sim/voice.py, the compiled day loop in
sim/vectorized.py would load stale machine code. So on import, the hash of every sim/*.py source is
compared with the one stamped beside the cache; if they differ, the cached files are removed and the
rules are compiled afresh on first use.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

_HERE = Path(__file__).resolve().parent


def sources_hash() -> str:
    """A hash of the model's source files."""
    digest = hashlib.sha256()
    for path in sorted(_HERE.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def ensure_fresh(cache: Path | None = None) -> None:
    """Drop numba's cached compilations in `cache` (default: sim/'s own) when any sim/ source has changed since they
    were made. A module outside sim/ whose cached compiled functions call the rules passes its own __pycache__
    folder, at import (e.g. experiments/bench/calibration.py)."""
    if os.environ.get("NUMBA_CACHE_DIR"):  # a cache kept elsewhere is the user's to manage
        return
    cache = cache or _HERE / "__pycache__"
    stamp = cache / "numba-sources.sha256"
    current = sources_hash()
    try:
        if stamp.is_file() and stamp.read_text() == current:
            return
        for pattern in ("*.nbi", "*.nbc"):
            for path in cache.glob(pattern):
                path.unlink(missing_ok=True)
        cache.mkdir(exist_ok=True)
        stamp.write_text(current)
    except OSError:  # a read-only install: numba then caches in its own user directory
        pass


def compiled() -> bool:
    """True unless the next run must compile the rules first: numba's cache beside the sources holds no
    compiled day loop yet. (A cache kept elsewhere, NUMBA_CACHE_DIR, is not inspected: True.)"""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return True
    return any((_HERE / "__pycache__").glob("vectorized.*.nbi"))
