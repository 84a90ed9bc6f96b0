"""Writing outputs: atomically (a temporary file in the same directory, then a rename), and as plain JSON."""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: Suffix of atomic_write's temporary files.
TMP_SUFFIX = ".tmp"


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Write `path` through `write(tmp)` to a temporary sibling, then rename it into place.

    The temporary file is flushed to disk (fsync) before the rename, and the directory after it, so a
    crash or power cut leaves either the old file or the complete new one, never an empty one.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TMP_SUFFIX)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o644)
        _fsync(Path(tmp))
        os.replace(tmp, path)
        _fsync(path.parent)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path


def remove_stale_temporaries(directory: Path) -> list[Path]:
    """Remove the temporary files an interrupted `atomic_write` left in `directory` (on resume)."""
    stale = sorted(Path(directory).glob(f".*{TMP_SUFFIX}"))
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_text_atomic(path: Path, text: str) -> Path:
    """Write text to `path` atomically."""
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8", newline=""))


def json_safe(obj: Any) -> Any:
    """`obj` with arrays as lists, tuples as lists, keys as text and NaN or infinities as None (null)."""
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if hasattr(obj, "tolist"):
        return json_safe(obj.tolist())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj
