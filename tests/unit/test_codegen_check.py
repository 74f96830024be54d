"""`make codegen-check` catches hand edits and unregenerated schema changes (run on a scratch copy)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of everything `make codegen` reads and writes."""
    root = tmp_path_factory.mktemp("repo")
    for name in ("openapi", "codegen", "trigger_client", "tests/_async", "tests/_sync"):
        source = ROOT / name
        if source.exists():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


def models_check(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(root / "codegen" / "gen_models.py"), "--check"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )


def sync_check(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(root / "codegen" / "gen_sync.py"), "--check"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_committed_output_is_fresh(scratch: Path) -> None:
    result = models_check(scratch)
    assert result.returncode == 0, result.stdout + result.stderr
    result = sync_check(scratch)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", ["models.py", "rest_models.py"])
def test_generated_models_carry_the_do_not_edit_header(name: str) -> None:
    text = (ROOT / "trigger_client" / "_generated" / name).read_text()
    assert text.startswith("# Generated from openapi/trigger.yaml")
    assert "Do not edit" in text.splitlines()[1]


@pytest.mark.parametrize(
    ("name", "field"),
    [("models.py", "    number: int\n"), ("rest_models.py", "    headers: ShapeMessageHeaders\n")],
)
def test_hand_edit_of_generated_models_fails_the_check(
    scratch: Path, name: str, field: str
) -> None:
    models = scratch / "trigger_client" / "_generated" / name
    original = models.read_text()
    edited = original.replace(field, field.replace(":", "_edited:"), 1)
    assert edited != original
    try:
        models.write_text(edited)
        result = models_check(scratch)
        assert result.returncode == 1
        assert field.strip().replace(":", "_edited:") in result.stdout
        assert f"trigger_client/_generated/{name} (committed)" in result.stdout
    finally:
        models.write_text(original)


def test_a_model_moved_between_the_modules_fails_the_check(scratch: Path) -> None:
    generated = scratch / "trigger_client" / "_generated"
    realtime, rest = generated / "models.py", generated / "rest_models.py"
    originals = realtime.read_text(), rest.read_text()
    block_start = originals[0].index("@attrs.define", originals[0].index("class TaskRunErrorType"))
    block_end = originals[0].index("\n\n\n", block_start) + 3
    block = originals[0][block_start:block_end]
    assert "class TaskRunError(Model):" in block
    try:
        realtime.write_text(originals[0][:block_start] + originals[0][block_end:])
        rest.write_text(originals[1] + "\n\n" + block)
        result = models_check(scratch)
        assert result.returncode == 1
        assert "class TaskRunError(Model):" in result.stdout
    finally:
        realtime.write_text(originals[0])
        rest.write_text(originals[1])


def test_schema_change_without_regenerating_fails_the_check(scratch: Path) -> None:
    schema = scratch / "openapi" / "trigger.yaml"
    original = schema.read_text()
    try:
        schema.write_text(
            original.replace(
                '        isTest: {type: boolean, description: "Whether this is a test run."}\n',
                '        isTest: {type: boolean, description: "Whether this is a test run."}\n'
                "        region: {type: string}\n",
                1,
            )
        )
        assert schema.read_text() != original
        result = models_check(scratch)
        assert result.returncode == 1
        assert "region" in result.stdout + result.stderr
    finally:
        schema.write_text(original)


def test_hand_edit_of_the_sync_twin_fails_the_check(scratch: Path) -> None:
    sync_files = sorted((scratch / "trigger_client" / "_sync").glob("*.py"))
    target = next(p for p in sync_files if p.name != "__init__.py")
    original = target.read_text()
    try:
        target.write_text(original + "\nHAND_EDIT = 1\n")
        result = sync_check(scratch)
        assert result.returncode == 1
        assert "HAND_EDIT" in result.stdout
    finally:
        target.write_text(original)


def test_async_leftovers_fail_the_check(scratch: Path) -> None:
    source = scratch / "trigger_client" / "_async" / "_leak_probe.py"
    source.write_text("import anyio\n\n\nasync def nap() -> None:\n    await anyio.sleep(1)\n")
    try:
        result = sync_check(scratch)
        assert result.returncode == 1
        assert "async constructs left" in result.stdout
    finally:
        source.unlink()


def test_an_unused_replacement_rule_fails_the_check(scratch: Path) -> None:
    script = scratch / "codegen" / "gen_sync.py"
    original = script.read_text()
    try:
        script.write_text(
            original.replace(
                "REPLACEMENTS: dict[str, str] = {",
                'REPLACEMENTS: dict[str, str] = {\n    "AsyncNeverUsed": "NeverUsed",',
                1,
            )
        )
        result = sync_check(scratch)
        assert result.returncode == 1
        assert "unused unasync replacements" in result.stdout
        assert "AsyncNeverUsed" in result.stdout
    finally:
        script.write_text(original)
