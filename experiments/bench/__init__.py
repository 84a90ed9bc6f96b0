"""Benchmarks: figures of speed and memory on this machine, never assertions.

- `model`: the engine against its reference and the memory floor (`relsim-bench`);
- `sweep`: a small sweep's throughput per launcher (`relsim-bench-sweep`);
- `app`: the educator's page per day, in process and in a browser (`python -m relsim.experiments.bench.app`);
- `fingerprint`: a digest of every recorded number, to check that a change left the outputs bit-identical;
- `fuzz`: the bad-input campaign (thousands of inputs through every command and the API; docs/FUZZ.md);
- `listeners`: which addresses the page, a local Dask cluster and a local Ray listen on (`ss -ltnp`);
- `concurrency`: runs and sweeps started into one folder at once, and what each got.
"""
