"""What PyPI shows and what the extras install: README links that work on PyPI, the license
shipped, the ``testing`` extra holding exactly the emulator's third-party imports."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
REPOSITORY = PYPROJECT["project"]["urls"]["Repository"]

_LINK = re.compile(r"\]\(([^)\s]+)\)")


def _requirement_name(requirement: str) -> str:
    return re.split(r"[<>=!~\[;@ ]", requirement, maxsplit=1)[0].lower()


def test_readme_links_are_absolute_and_point_at_files_that_exist() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = _LINK.findall(readme)
    assert len(targets) > 5
    to_files = 0
    for target in targets:
        if target.startswith("#"):
            continue  # an anchor of the README itself, which PyPI renders too
        assert target.startswith("https://"), f"relative link {target!r} breaks on PyPI"
        prefix = f"{REPOSITORY}/blob/main/"
        if target.startswith(prefix):
            assert (ROOT / target.removeprefix(prefix)).is_file(), target
            to_files += 1
    assert to_files >= 7  # the examples, the changelog, the benchmark results


def test_the_license_ships() -> None:
    project = PYPROJECT["project"]
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    assert "LICENSE" in PYPROJECT["tool"]["hatch"]["build"]["targets"]["sdist"]["include"]


def _third_party_imports(package: Path) -> set[str]:
    names: set[str] = set()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"__future__", "trigger_client"}


def test_the_testing_extra_is_what_the_emulator_imports_beyond_the_runtime() -> None:
    project = PYPROJECT["project"]
    runtime = {_requirement_name(r) for r in project["dependencies"]}
    import_names = {"pyjwt": "jwt", "httpx-sse": "httpx_sse"}
    runtime_imports = {import_names.get(name, name) for name in runtime}
    testing = {_requirement_name(r) for r in project["optional-dependencies"]["testing"]}
    emulator = _third_party_imports(ROOT / "trigger_client" / "testing") - runtime_imports
    # pytest is imported only by the pytest plugin, which runs inside pytest
    assert emulator - {"pytest"} == testing == {"starlette", "uvicorn"}
    core = _third_party_imports(ROOT / "trigger_client") - emulator
    # trio is imported only inside a running trio run (the event-loop guard), so it is installed
    assert core - {"trio"} <= runtime_imports
