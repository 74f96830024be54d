"""The README's realtime-streams example runs, as written, against the emulator."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from trigger_client.testing import TriggerEmulator

README = Path(__file__).resolve().parent.parent / "README.md"
WORDS = ["Rayleigh ", "scattering ", "favours ", "blue."]


def readme_block() -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(
        r"<!-- readme-streams:.*?-->\n```python\n(.*?)```\n<!-- /readme-streams -->", text, re.S
    )
    assert match, "the README lost its realtime-streams example"
    return match.group(1)


def test_the_readme_streams_example(
    emulator: TriggerEmulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TRIGGER_API_URL", emulator.base_url)
    monkeypatch.setenv("TRIGGER_SECRET_KEY", emulator.secret_key)
    monkeypatch.delenv("TRIGGER_ACCESS_TOKEN", raising=False)
    steps = ["dequeue", "start", ("stream", {"key": "answer", "chunks": WORDS}), "complete"]
    emulator.engine.on_http_trigger = lambda run_id: emulator.start_play(
        run_id, steps, interval=0.2
    )
    namespace: dict[str, Any] = {}
    try:
        exec(compile(readme_block(), "README.md", "exec"), namespace)
    finally:
        emulator.engine.on_http_trigger = None
        namespace["client"].close()
    assert namespace["answer"] == WORDS
    assert capsys.readouterr().out == "".join(WORDS) + "\nCOMPLETED\n"
