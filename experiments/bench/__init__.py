"""Benchmarks: figures of speed and memory on this machine, never assertions.

- `model`: the engine against its reference and the memory floor (`relsim-bench`);
- `sweep`: a small sweep's throughput per launcher (`relsim-bench-sweep`);
- `app`: the educator's page per day, in process and in a browser (`python -m relsim.experiments.bench.app`).
"""
