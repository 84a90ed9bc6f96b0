"""A store of simulations for amortized inference: prior draws, the pattern battery's statistics and seeds, in Parquet.

Row i of a store is a function of (the store's root seed, i) alone: its weights are drawn from the calibration
prior (log-uniform, space.PARAMS, drawn uniformly on the log10 scale as ABC-SMC does) and its battery seed from
the stream `numpy.random.default_rng([root, i, STREAM])`, and the battery (battery.measure, the statistics
ABC-SMC fits) runs at the store's size. So a store can be extended (`extend`: rows n ... n+m-1 appended, the
old rows left as they were) and any row can be re-made and checked (`simulate_rows`).

The file holds, per row: `index`, `seed`, each weight on the natural scale (columns named by the parameters'
config keys) and each statistic (`stat.<pattern>`, every pattern of patterns.PATTERNS, the held-out ones too),
and `seconds` (the battery's wall time). Its Parquet metadata (`relsim.store`, JSON) records what the rows
depend on: the root seed, the parameters and their prior ranges, the battery's market, overrides and size, and
the statistics' names; `extend` refuses a store whose metadata differ from the one asked for. A file is replaced
atomically after each chunk, so an interrupted run keeps its finished chunks.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from relsim.params import ConfigError

from .patterns import PATTERNS
from .space import PARAMS

__all__ = ["STAT", "Store", "StoreSpec", "draw", "extend", "read_store", "simulate_rows"]

#: The prefix of a statistic's column.
STAT = "stat."
#: The metadata key in the Parquet schema.
META_KEY = b"relsim.store"
#: The version of the store's layout.
VERSION = 1
SEED_SPACE = 2**31 - 1
STREAM = 3232  # keeps a store's streams apart from other uses of the same root seed


@dataclasses.dataclass(frozen=True)
class StoreSpec:
    """What a store's rows depend on: the root seed, the parameters (with their prior ranges), and the battery."""

    seed: int = 0
    params: tuple[str, ...] = tuple(PARAMS)
    consumers: int = 1500
    market: str = "monopoly"
    overrides: tuple[str, ...] = ()
    stats: tuple[str, ...] = tuple(PATTERNS)

    def meta(self) -> dict[str, Any]:
        """The JSON metadata written into the file."""
        return {"version": VERSION, "seed": self.seed, "params": list(self.params),
                "bounds": {k: [PARAMS[k].lo, PARAMS[k].hi] for k in self.params}, "consumers": self.consumers,
                "market": self.market, "overrides": list(self.overrides), "stats": list(self.stats)}

    @classmethod
    def from_meta(cls, meta: Mapping[str, Any]) -> StoreSpec:
        """The spec a file's metadata describe (KeyError/TypeError/ValueError on malformed metadata)."""
        return cls(int(meta["seed"]), tuple(meta["params"]), int(meta["consumers"]), str(meta["market"]),
                   tuple(meta["overrides"]), tuple(meta["stats"]))

    def columns(self) -> list[str]:
        """The file's columns, in order."""
        return ["index", "seed", *self.params, *(STAT + s for s in self.stats), "seconds"]


def draw(spec: StoreSpec, index: int) -> tuple[dict[str, float], int]:
    """Row `index`'s weights (natural scale, drawn log-uniformly from the prior) and battery seed: a function of
    (spec.seed, index) alone."""
    rng = np.random.default_rng([spec.seed, int(index), STREAM])
    values = {k: float(10.0 ** rng.uniform(math.log10(PARAMS[k].lo), math.log10(PARAMS[k].hi))) for k in spec.params}
    return values, int(rng.integers(SEED_SPACE))


def _row(battery: Any, spec: StoreSpec, index: int) -> dict[str, Any]:
    """One row: draw, run the battery, time it."""
    from .battery import measure

    values, seed = draw(spec, index)
    started = time.perf_counter()
    stats = measure(battery, values, seed)
    return {"index": index, "seed": seed, **values, **{STAT + s: float(stats.get(s, math.nan)) for s in spec.stats},
            "seconds": time.perf_counter() - started}


def simulate_rows(spec: StoreSpec, indices: Iterable[int], map_: Callable[..., Iterable] = map,
                  battery: Any = None) -> pd.DataFrame:
    """The rows `indices` of the store `spec` describes, run through `map_` (the builtin map, a pool's or a Dask
    client's: any order-preserving map)."""
    from .battery import make_battery

    if battery is None:
        battery = make_battery(spec.consumers, market=spec.market, overrides=spec.overrides)
    rows = list(map_(functools.partial(_row, battery, spec), list(indices)))
    return pd.DataFrame(rows, columns=spec.columns())


@dataclasses.dataclass
class Store:
    """A store read back: its spec and rows (sorted by index, 0 ... n-1)."""

    spec: StoreSpec
    frame: pd.DataFrame

    def __len__(self) -> int:
        return len(self.frame)

    def theta(self, log10: bool = True) -> np.ndarray:
        """The weights (n, d), on the log10 scale (where the prior is uniform) unless `log10` is False."""
        x = self.frame[list(self.spec.params)].to_numpy(dtype=float)
        return np.log10(x) if log10 else x

    def stats(self, keys: Sequence[str] | None = None) -> np.ndarray:
        """The statistics (n, k) of `keys` (default: all the store has)."""
        keys = self.spec.stats if keys is None else keys
        missing = [k for k in keys if k not in self.spec.stats]
        if missing:
            raise ConfigError(f"store: has no statistic {missing[0]!r} (it has {', '.join(self.spec.stats)})")
        return self.frame[[STAT + k for k in keys]].to_numpy(dtype=float)


def read_store(path: str | Path, key: str = "--store") -> Store:
    """Read and check a store; a file that is not one (not Parquet, truncated, wrong columns or metadata, indices
    not 0 ... n-1, weights outside their prior) raises ConfigError with one line naming `key`."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    where = f"{key}={str(path)!r}"
    if not path.is_file():
        raise ConfigError(f"{where}: no such file")
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise ConfigError(f"{where}: not a readable Parquet file ({' '.join(str(exc).split())[:160]})") from None
    raw = (table.schema.metadata or {}).get(META_KEY)
    try:
        meta = json.loads(raw.decode("utf-8")) if raw is not None else None
        spec = StoreSpec.from_meta(meta) if meta is not None else None
    except (ValueError, KeyError, TypeError, AttributeError):
        spec = None
    if spec is None:
        raise ConfigError(f"{where}: not a relsim simulation store (no valid relsim.store metadata)")
    if meta.get("version") != VERSION:
        raise ConfigError(f"{where}: store version {meta.get('version')!r}; this relsim reads version {VERSION}")
    unknown = [k for k in spec.params if k not in PARAMS]
    if unknown:
        raise ConfigError(f"{where}: unknown parameter {unknown[0]!r}")
    if table.column_names != spec.columns():
        missing = [c for c in spec.columns() if c not in table.column_names]
        extra = [c for c in table.column_names if c not in spec.columns()]
        what = f"missing column {missing[0]!r}" if missing else f"unexpected column {extra[0]!r}" if extra else \
            "columns out of order"
        raise ConfigError(f"{where}: {what} (expected index, seed, the parameters, stat.* and seconds)")
    frame = table.to_pandas()
    numeric = frame.apply(pd.to_numeric, errors="coerce")
    if frame[["index", "seed", *spec.params]].isna().any().any() or not (numeric.dtypes.map(
            lambda t: np.issubdtype(t, np.number))).all():
        raise ConfigError(f"{where}: index, seed and parameters must be numbers, none missing")
    if not np.array_equal(frame["index"].to_numpy(), np.arange(len(frame))):
        raise ConfigError(f"{where}: rows must be indexed 0 ... n-1 in order")
    for k in spec.params:
        col = frame[k].to_numpy(dtype=float)
        lo, hi = PARAMS[k].lo, PARAMS[k].hi
        if np.any(col < lo * (1 - 1e-9)) or np.any(col > hi * (1 + 1e-9)):
            raise ConfigError(f"{where}: {k} must lie in its prior's range [{lo:g}, {hi:g}]")
    return Store(spec, frame)


def _empty(spec: StoreSpec) -> pd.DataFrame:
    """A store without rows, with its columns' types."""
    return pd.DataFrame({c: pd.Series(dtype="int64" if c in ("index", "seed") else "float64") for c in spec.columns()})


def _write(path: Path, spec: StoreSpec, frame: pd.DataFrame) -> None:
    """Write the store atomically (a temporary file in the same folder, then renamed over the old one)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame[spec.columns()], preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                           META_KEY: json.dumps(spec.meta()).encode("utf-8")})
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def extend(path: str | Path, spec: StoreSpec, total: int, *, map_: Callable[..., Iterable] = map, chunk: int = 100,
           deadline: float | None = None, progress: Callable[[int, int, float], None] | None = None) -> Store:
    """Extend the store at `path` (made when absent) to `total` rows: rows n ... total-1 are simulated in chunks of
    `chunk` through `map_` and appended, the file replaced after each chunk; rows already there are not redone
    or changed. Stops early after the chunk in which time.monotonic() passed `deadline`. A store whose spec
    differs from `spec` raises ConfigError. `progress(done, total, seconds)` after each chunk."""
    from .battery import make_battery

    path = Path(path)
    if path.exists():
        store = read_store(path)
        if store.spec != spec:
            diff = [f for f in dataclasses.fields(StoreSpec) if getattr(store.spec, f.name) != getattr(spec, f.name)]
            raise ConfigError(f"--store={str(path)!r}: holds simulations with another {diff[0].name} "
                              f"({getattr(store.spec, diff[0].name)!r}, asked for {getattr(spec, diff[0].name)!r}); "
                              "extend it with the same settings or start a new store")
        frame = store.frame
    else:
        frame = _empty(spec)
    battery = make_battery(spec.consumers, market=spec.market, overrides=spec.overrides)
    started = time.perf_counter()
    while len(frame) < total:
        n = len(frame)
        rows = simulate_rows(spec, range(n, min(n + chunk, total)), map_, battery)
        frame = rows if n == 0 else pd.concat([frame, rows], ignore_index=True)
        _write(path, spec, frame)
        if progress:
            progress(len(frame), total, time.perf_counter() - started)
        if deadline is not None and time.monotonic() > deadline:
            break
    if not path.exists():  # total was 0 on a new store: an empty store, so that it can be extended
        _write(path, spec, frame)
    return Store(spec, frame.reset_index(drop=True))
