"""examples/reading_outputs.ipynb: its code cells, executed in order in one namespace, on a small run and sweep.

The notebook is read and validated with nbformat; its code runs as a kernel would run it (no Jupyter server
is needed), in a temporary directory where its first cell makes the small run and sweep it reads.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import plotly.graph_objects as go
import pytest

NOTEBOOK = Path(__file__).resolve().parent.parent / "examples" / "reading_outputs.ipynb"


@pytest.mark.slow
def test_the_example_notebook_loads_a_run_and_a_sweep_and_draws_the_main_figures(tmp_path, monkeypatch):
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")  # committed clean
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RELSIM_RUN", str(tmp_path / "run"))
    monkeypatch.setenv("RELSIM_SWEEP", str(tmp_path / "sweep"))
    namespace: dict = {"__name__": "__main__"}
    last = None
    for k, cell in enumerate(c for c in notebook.cells if c.cell_type == "code"):
        code = compile(cell.source, f"cell {k}", "exec")
        exec(code, namespace)  # noqa: S102 - the project's own notebook
        lines = cell.source.strip().splitlines()
        if lines and not lines[-1].startswith((" ", "#")) and "=" not in lines[-1].split("(")[0]:
            last = eval(lines[-1].split("  #")[0], namespace)  # noqa: S307 - what the notebook would display
            assert last is not None, f"cell {k} shows nothing"
    assert (tmp_path / "run" / "manifest.json").is_file() and (tmp_path / "sweep" / "jobs.parquet").is_file()
    assert {"trust", "customers", "retention"} <= set(namespace["run_figures"])
    assert all(isinstance(f, go.Figure) and f.data for f in namespace["run_figures"].values())
    assert namespace["sweep"].swept == ["strategies.one_way.mail_rate"]
    assert len(namespace["sweep_panels"]) == 2 and all(f.data for f in namespace["sweep_panels"])
    assert len(last) == 3  # the last cell's table: one row per mail rate swept
