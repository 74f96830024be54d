"""Every Python block of README.md and docs/*.md runs, as written, against the emulator.

Each block runs as a module (pytest-examples) with the environment pointing the clients at a fresh
emulator that plays every triggered run to completion (``TRIGGER_API_URL``, ``TRIGGER_SECRET_KEY``),
and with the names the prose gives a block: ``client`` (a ``TriggerClient``), ``run_id`` (a run
being played). The README's placeholder run id ``run_1234`` is replaced by such a run's id. A block
that defines pytest tests is run by pytest, with the package's plugin, in a subprocess.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_examples import CodeExample, EvalExample, find_examples

from trigger_client import TriggerClient, _default
from trigger_client.testing import TriggerEmulator

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
EXAMPLES = [
    example for example in find_examples(*SOURCES) if example.prefix.split()[0] in ("py", "python")
]
#: The placeholder run id of the README and the docs.
PLACEHOLDER = "run_1234"


def _id(example: CodeExample) -> str:
    return f"{example.path.relative_to(ROOT)}:{example.start_line}"


def test_the_readme_and_every_docs_page_have_python_blocks() -> None:
    paths = {example.path for example in EXAMPLES}
    assert ROOT / "README.md" in paths
    assert sum(example.path.name == "README.md" for example in EXAMPLES) >= 6
    for page in SOURCES:
        text = page.read_text(encoding="utf-8")
        assert ("```python" in text) == (page in paths), page


@pytest.fixture
def docs_emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[TriggerEmulator]:
    with TriggerEmulator(long_poll_ms=500, auto_play="success", auto_play_interval=0.05) as emu:
        monkeypatch.setenv("TRIGGER_API_URL", emu.base_url)
        monkeypatch.setenv("TRIGGER_SECRET_KEY", emu.secret_key)
        monkeypatch.delenv("TRIGGER_ACCESS_TOKEN", raising=False)
        previous = _default._client
        _default._client = None  # the module-level client is made from this environment
        levels = {name: logging.getLogger(name).level for name in ("", "trigger_client")}
        try:
            yield emu
        finally:
            if _default._client is not None:
                _default._client.close()
            _default._client = previous
            for name, level in levels.items():
                logging.getLogger(name).setLevel(level)


@pytest.mark.parametrize("example", EXAMPLES, ids=_id)
def test_python_block_runs(
    example: CodeExample, eval_example: EvalExample, docs_emulator: TriggerEmulator, tmp_path: Path
) -> None:
    emu = docs_emulator
    placeholder_run = emu.create_run("hello-world", {"name": "Ada"})
    emu.start_play(placeholder_run, "success", interval=0.05, output={"greeting": "Hi Ada"})
    run_id = emu.create_run("generate-report", {"quarter": "2026-Q3"}, tags=["user:42"])
    emu.start_play(run_id, "metadata_progress", interval=0.05)
    source = example.source.replace(PLACEHOLDER, placeholder_run)
    if "\ndef test_" in source:
        _run_with_pytest(source, tmp_path)
        return
    runnable = dataclasses.replace(example, source=source)
    with TriggerClient(base_url=emu.base_url, access_token=emu.secret_key) as client:
        module = eval_example.run(runnable, module_globals={"client": client, "run_id": run_id})
    assert module is not None


def _run_with_pytest(source: str, tmp_path: Path) -> None:
    test_file = tmp_path / "test_docs_block.py"
    test_file.write_text(source, encoding="utf-8")
    tests = source.count("\ndef test_")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{tests} passed" in result.stdout, result.stdout
