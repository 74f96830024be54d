"""Users' type checkers see the SDK's types: mypy --strict and pyright (basedpyright, strict) read
tests/typing/user_script.py and report exactly what its ``# revealed:`` and ``# error:`` comments
say, on those lines and nowhere else."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).with_name("user_script.py")
ROOT = SCRIPT.parents[2]
BIN = Path(sys.executable).parent

#: line -> the type it reveals, and line -> (mypy error code, pyright rule)
_REVEALED = re.compile(r"# revealed: (\w+)$")
_ERROR = re.compile(r"# error: ([\w-]+) (\w+)$")


def _expected() -> tuple[dict[int, str], dict[int, tuple[str, str]]]:
    revealed: dict[int, str] = {}
    errors: dict[int, tuple[str, str]] = {}
    for number, line in enumerate(SCRIPT.read_text(encoding="utf-8").splitlines(), start=1):
        if match := _REVEALED.search(line):
            revealed[number] = match[1]
        if match := _ERROR.search(line):
            errors[number] = (match[1], match[2])
    return revealed, errors


def test_the_script_expects_reveals_and_errors() -> None:
    revealed, errors = _expected()
    assert len(revealed) >= 3
    assert len(errors) >= 5


def test_mypy_strict() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--output", "json", str(SCRIPT)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    revealed: dict[int, str] = {}
    errors: dict[int, str] = {}
    for line in result.stdout.splitlines():
        diagnostic = json.loads(line)
        number = diagnostic["line"]
        if diagnostic["severity"] == "note":
            match = re.fullmatch(r'Revealed type is "([\w.]+)"', diagnostic["message"])
            if match:
                revealed[number] = match[1].rsplit(".", 1)[-1]
        else:
            assert diagnostic["severity"] == "error", diagnostic
            assert number not in errors, diagnostic
            errors[number] = diagnostic["code"]
    expected_revealed, expected_errors = _expected()
    assert revealed == expected_revealed
    assert errors == {number: codes[0] for number, codes in expected_errors.items()}


def test_pyright_strict() -> None:
    basedpyright = BIN / "basedpyright"
    if not basedpyright.exists():  # the dev extra installs it
        pytest.fail(f"basedpyright is not installed next to {sys.executable}")
    result = subprocess.run(
        [str(basedpyright), "--outputjson", "--pythonpath", sys.executable, str(SCRIPT)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(result.stdout)
    revealed: dict[int, str] = {}
    errors: dict[int, str] = {}
    for diagnostic in report["generalDiagnostics"]:
        number = diagnostic["range"]["start"]["line"] + 1
        if diagnostic["severity"] == "information":
            match = re.fullmatch(r'Type of "\w+" is "(\w+)"', diagnostic["message"])
            assert match, diagnostic
            revealed[number] = match[1]
        else:
            assert diagnostic["severity"] == "error", diagnostic
            assert number not in errors, diagnostic
            errors[number] = diagnostic.get("rule", "")
    expected_revealed, expected_errors = _expected()
    assert revealed == expected_revealed
    assert errors == {number: codes[1] for number, codes in expected_errors.items()}
    assert report["summary"]["errorCount"] == len(expected_errors)
