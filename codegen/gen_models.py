"""Generate the models from openapi/trigger.yaml with datamodel-codegen, split in two modules.

    python codegen/gen_models.py          # (re)write trigger_client/_generated/*models.py
    python codegen/gen_models.py --check  # exit 1 if a committed module differs from a fresh one

datamodel-codegen (settings in pyproject.toml, templates in codegen/templates) writes every model
into one temporary module. This step splits it, deterministically, by what a subscription needs:

- ``models.py``: the models the realtime feed structures (``REALTIME_ROOTS``) and every model or
  enum their fields name, transitively. A process that only subscribes defines these alone.
- ``rest_models.py``: every other model (REST request and response bodies, and the shape message
  envelope, which the schema documents but no code structures). It imports what it names from
  ``models.py`` and loads with the first REST call that needs it.

Each module is then fixed and formatted with the repository's own ruff (unused imports dropped).
"""

from __future__ import annotations

import ast
import difflib
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "trigger_client" / "_generated"

#: The models the realtime feed structures: the public run and the shape row it is built from.
REALTIME_ROOTS = ("Run", "RunShapeRow")

MODULE_NOTES = {
    "models.py": (
        "# The models a subscription uses (the closure of codegen/gen_models.py REALTIME_ROOTS);\n"
        "# every other model is in rest_models.py, which loads with the first REST call needing it.\n"
    ),
    "rest_models.py": (
        "# The models a subscription does not use (REST bodies, the shape message envelope); the\n"
        "# split is made by codegen/gen_models.py.\n"
    ),
}


def generate_single_module() -> str:
    """The output of datamodel-codegen (configured in pyproject.toml) as one module."""
    with tempfile.TemporaryDirectory(prefix="gen-models-") as tmp:
        out = Path(tmp) / "models.py"
        subprocess.run(
            [sys.executable, "-m", "datamodel_code_generator", "--output", str(out)],
            cwd=ROOT,
            check=True,
        )
        return out.read_text()


def _referenced(node: ast.ClassDef) -> set[str]:
    """Every bare name in the class's bases, field annotations and field defaults."""
    names: set[str] = set()
    parts: list[ast.AST] = list(node.bases)
    for stmt in node.body:
        if isinstance(stmt, ast.AnnAssign):
            parts.append(stmt.annotation)
            if stmt.value is not None:
                parts.append(stmt.value)
    for part in parts:
        names |= {n.id for n in ast.walk(part) if isinstance(n, ast.Name)}
    return names


def split(source: str) -> dict[str, str]:
    """``{"models.py": ..., "rest_models.py": ...}`` (unformatted) from the single module."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    classes = [node for node in tree.body if isinstance(node, ast.ClassDef)]
    if not classes:
        raise SystemExit("gen_models: datamodel-codegen produced no classes")
    first = classes[0]
    start = min([first.lineno, *(d.lineno for d in first.decorator_list)]) - 1
    preamble = "".join(lines[:start])
    for node in tree.body:
        if not isinstance(node, ast.ClassDef) and node.lineno > first.lineno:
            raise SystemExit(
                f"gen_models: unexpected statement after the first class: line {node.lineno}"
            )

    by_name = {node.name: node for node in classes}
    missing = [name for name in REALTIME_ROOTS if name not in by_name]
    if missing:
        raise SystemExit(f"gen_models: REALTIME_ROOTS not in the schema: {missing}")
    realtime: set[str] = set()
    todo = list(REALTIME_ROOTS)
    while todo:
        name = todo.pop()
        if name not in realtime:
            realtime.add(name)
            todo += sorted(_referenced(by_name[name]) & by_name.keys())

    def block(node: ast.ClassDef) -> str:
        begin = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
        assert node.end_lineno is not None
        return "".join(lines[begin : node.end_lineno])

    realtime_blocks = [block(node) for node in classes if node.name in realtime]
    rest_nodes = [node for node in classes if node.name not in realtime]
    borrowed = sorted(set().union(*(_referenced(n) for n in rest_nodes)) & realtime)
    header_end = preamble.index("\nfrom ") + 1  # the header comments end before the first import
    header, imports = preamble[:header_end].rstrip("\n") + "\n", preamble[header_end:]
    rest_imports = imports.rstrip("\n") + "\n"
    if borrowed:
        rest_imports += f"from trigger_client._generated.models import {', '.join(borrowed)}\n"
    return {
        "models.py": header
        + MODULE_NOTES["models.py"]
        + "\n"
        + imports
        + "\n\n".join(realtime_blocks),
        "rest_models.py": header
        + MODULE_NOTES["rest_models.py"]
        + "\n"
        + rest_imports
        + "\n\n"
        + "\n\n".join(block(node) for node in rest_nodes),
    }


def ruff_clean(name: str, text: str) -> str:
    """``text`` fixed (imports sorted, unused ones dropped) and formatted by the project's ruff."""
    ruff = [sys.executable, "-m", "ruff"]
    stdin = str(OUT / name)
    fixed = subprocess.run(
        [*ruff, "check", "--fix", "--quiet", "--exit-zero", "--stdin-filename", stdin, "-"],
        input=text,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    return subprocess.run(
        [*ruff, "format", "--quiet", "--stdin-filename", stdin, "-"],
        input=fixed,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout


def main(argv: list[str]) -> int:
    check = "--check" in argv
    fresh = {name: ruff_clean(name, text) for name, text in split(generate_single_module()).items()}
    stale = False
    for name, text in fresh.items():
        path = OUT / name
        current = path.read_text() if path.exists() else ""
        if current == text:
            continue
        if check:
            stale = True
            rel = f"trigger_client/_generated/{name}"
            sys.stdout.writelines(
                difflib.unified_diff(
                    current.splitlines(keepends=True),
                    text.splitlines(keepends=True),
                    fromfile=f"{rel} (committed)",
                    tofile=f"{rel} (fresh)",
                )
            )
        else:
            path.write_text(text)
    if stale:
        print("generated models are stale or hand-edited: run `make codegen`")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
