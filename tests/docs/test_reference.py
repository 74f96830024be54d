"""The API reference (docs/reference/, built by ``make docs``) documents every public name, and
each blocking class next to its async twin."""

from __future__ import annotations

import re
from pathlib import Path

import trigger_client
import trigger_client.testing

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "docs" / "reference"
_DIRECTIVE = re.compile(r"^\s*::: ([\w.]+)\s*$", re.M)


def _documented() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for page in sorted(REFERENCE.glob("*.md")):
        for name in _DIRECTIVE.findall(page.read_text(encoding="utf-8")):
            assert name not in found, f"{name} is documented twice"
            found[name] = page
    return found


def test_every_public_name_has_a_reference_entry() -> None:
    documented = _documented()
    expected = {f"trigger_client.{name}" for name in trigger_client.__all__} | {
        f"trigger_client.testing.{name}" for name in trigger_client.testing.__all__
    }
    missing = expected - set(documented)
    assert not missing


def test_every_sync_class_sits_next_to_its_async_twin() -> None:
    documented = _documented()
    pairs = 0
    for name, page in documented.items():
        module, _, leaf = name.rpartition(".")
        twin_leaf = f"Async{leaf}"
        twin_module = module.replace("._sync.", "._async.")
        twin = f"{twin_module}.{twin_leaf}"
        if hasattr(trigger_client, twin_leaf) or twin_module != module:
            assert documented.get(twin) == page, f"{name} without {twin} on {page.name}"
            text = page.read_text(encoding="utf-8")
            tabs = text[max(0, text.index(f"::: {name}") - 200) : text.index(f"::: {twin}")]
            assert '=== "Sync"' in tabs and '=== "Async"' in tabs, name
            pairs += 1
    assert pairs >= 6  # client, runs, tasks, auth resources, subscription, list
