"""``codegen/mutation_report.py``: per-module records combine, and the page shows exactly them."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def report() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "mutation_report", ROOT / "codegen" / "mutation_report.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def section(text: str, report: ModuleType) -> str:
    return report.BEGIN + text.split(report.BEGIN, 1)[1].split(report.END, 1)[0] + report.END


def test_the_page_shows_the_records_of_existing_modules(report: ModuleType) -> None:
    records = report.load_records()
    assert records, "no records in docs/mutation/"
    for module in records:
        assert (ROOT / module).is_file(), f"a record of a module that is gone: {module}"
        assert report._record_path(module).name == Path(module).stem + ".json"
    assert section((ROOT / "docs" / "testing.md").read_text(), report) == report.render(records)


def test_a_page_read_back_gives_the_same_rows_and_survivors(report: ModuleType) -> None:
    records = report.load_records()
    page = report.render(records)
    stems = [Path(m).stem for m in records]
    assert report.render(report.records_from_doc(page, stems)) == page
    one = report.records_from_doc(page, ["streams"])
    assert list(one) == ["trigger_client/_protocol/streams.py"]
    assert (
        one["trigger_client/_protocol/streams.py"]["listed"]
        == records["trigger_client/_protocol/streams.py"]["listed"]
    )
    with pytest.raises(SystemExit, match="no row for http1"):
        report.records_from_doc(page, ["http1"])


def test_a_run_replaces_only_the_records_of_the_modules_it_checked(
    report: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report, "RECORDS", tmp_path)
    old = {"module": "trigger_client/_protocol/runs.py", "counts": {"killed": 9, "survived": 1}}
    old["listed"] = [["runs.x_f__mutmut_1", "survived", "`a` -> `b`"]]
    kept = {"module": "trigger_client/_protocol/paths.py", "counts": {"killed": 5}, "listed": []}
    gone = {"module": "trigger_client/_protocol/http1.py", "counts": {"killed": 5}, "listed": []}
    report.save_records({r["module"]: r for r in (old, kept, gone)})
    fresh = {"module": "trigger_client/_protocol/runs.py", "counts": {"killed": 10}, "listed": []}
    report.save_records({fresh["module"]: fresh})
    assert report.prune_records() == ["trigger_client/_protocol/http1.py"]
    records = report.load_records()
    assert records == {fresh["module"]: fresh, kept["module"]: kept}
    assert json.loads((tmp_path / "runs.json").read_text()) == fresh
    table = report.render(records)
    assert "| `trigger_client/_protocol/runs.py` | 10 | 10 | 0 | 0 | 100.0% |" in table
    assert "| **all** | 15 | 15 | 0 | 0 | **100.0%** |" in table
    assert "http1" not in table
