"""Record the results of ``mutmut run`` per module and write them into docs/testing.md.

    python codegen/mutation_report.py                  # after `mutmut run` (make mutation runs both)
    python codegen/mutation_report.py --render         # only rewrite the table from the records
    python codegen/mutation_report.py --from-doc FILE MODULE...   # take modules' rows from a doc

Results are kept per module in ``docs/mutation/<module>.json`` (mutants by status and every mutant
not killed, with the line it changes), so that runs of different modules, on different machines
or branches, combine: a run replaces the records of the modules whose every mutant it checked
(read from mutmut's ``mutants/**/*.meta`` through mutmut's own modules) and leaves the others; a
record of a module that no longer exists is removed. The table between the ``mutation-results``
markers of docs/testing.md is then written from all the records. ``--from-doc`` reads the table
and survivor lists of another copy of docs/testing.md (another branch's, say) into the records of
the named modules. Why a survivor is equivalent, or which test kills it now, is written by hand
above the markers.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "testing.md"
RECORDS = ROOT / "docs" / "mutation"
PACKAGE = "trigger_client/_protocol"
BEGIN = "<!-- mutation-results: begin (written by codegen/mutation_report.py) -->"
END = "<!-- mutation-results: end -->"
#: Statuses that count as killed (mutmut's own score counts timeouts as killed too).
KILLED = frozenset({"killed", "timeout", "caught by type check"})
#: Statuses listed one by one.
LISTED = ("survived", "no tests", "suspicious", "segfault")

Record = dict[str, Any]


def _changed_line(name: str, path: Path) -> str:
    """The mutated line of a mutant, as ``- before`` / ``+ after``."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    diff = get_diff_for_mutant(name, path=path).splitlines()
    minus = [
        line[1:].strip() for line in diff if line.startswith("-") and not line.startswith("---")
    ]
    plus = [
        line[1:].strip() for line in diff if line.startswith("+") and not line.startswith("+++")
    ]
    return f"`{' / '.join(minus)[:110]}` -> `{' / '.join(plus)[:110]}`"


def collect() -> tuple[dict[str, Record], dict[str, int]]:
    """(a record per module whose every mutant was checked, unchecked mutants per other module)."""
    from mutmut.mutation.data import SourceFileMutationData
    from mutmut.stats import status_by_exit_code
    from mutmut.utils.file_utils import walk_mutatable_files

    records: dict[str, Record] = {}
    unchecked: dict[str, int] = {}
    for path in walk_mutatable_files():
        data = SourceFileMutationData(path=path)
        data.load()
        counts: Counter[str] = Counter()
        listed: list[list[str]] = []
        for name, exit_code in sorted(data.exit_code_by_key.items()):
            status = status_by_exit_code[exit_code]
            counts[status] += 1
            if status in LISTED:
                listed.append([name.split(".", 2)[-1], status, _changed_line(name, path)])
        if not counts:
            continue
        if counts["not checked"]:
            unchecked[str(path)] = counts["not checked"]
            continue
        records[str(path)] = {"module": str(path), "counts": dict(counts), "listed": listed}
    return records, unchecked


def _record_path(module: str) -> Path:
    return RECORDS / (Path(module).stem + ".json")


def load_records() -> dict[str, Record]:
    records = {}
    for path in sorted(RECORDS.glob("*.json")):
        record = json.loads(path.read_text())
        records[record["module"]] = record
    return records


def save_records(records: dict[str, Record]) -> None:
    RECORDS.mkdir(exist_ok=True)
    for module, record in records.items():
        _record_path(module).write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n")


def prune_records() -> list[str]:
    """Remove the records of modules that no longer exist; their names."""
    gone = [m for m in load_records() if not (ROOT / m).exists()]
    for module in gone:
        _record_path(module).unlink()
    return gone


def _score(counter: Counter[str]) -> tuple[int, int, float]:
    killed = sum(counter[s] for s in KILLED)
    total = sum(counter.values()) - counter["skipped"] - counter["not checked"]
    return killed, total, (100.0 * killed / total if total else 0.0)


def render(records: dict[str, Record]) -> str:
    lines = [
        BEGIN,
        "",
        "| module | mutants | killed | survived | no tests | score |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    overall: Counter[str] = Counter()
    for module in sorted(records):
        counter: Counter[str] = Counter(records[module]["counts"])
        overall.update(counter)
        killed, total, score = _score(counter)
        lines.append(
            f"| `{module}` | {total} | {killed} | {counter['survived']} | {counter['no tests']} "
            f"| {score:.1f}% |"
        )
    killed, total, score = _score(overall)
    lines.append(
        f"| **all** | {total} | {killed} | {overall['survived']} | {overall['no tests']} "
        f"| **{score:.1f}%** |"
    )
    lines += ["", "Mutants not killed, by module (`mutmut show <name>` prints the whole diff):", ""]
    for module in sorted(records):
        listed = records[module]["listed"]
        if not listed:
            continue
        lines += [f"<details><summary><code>{module}</code>: {len(listed)}</summary>", ""]
        lines += [f"- `{name}` ({status}): {change}" for name, status, change in listed]
        lines += ["", "</details>", ""]
    lines.append(END)
    return "\n".join(lines)


_ROW = re.compile(
    r"^\| `(?P<module>[^`]+)` \| (?P<total>\d+) \| (?P<killed>\d+) \| (?P<survived>\d+) "
    r"\| (?P<no_tests>\d+) \|"
)
_SUMMARY = re.compile(r"^<details><summary><code>(?P<module>[^<]+)</code>: \d+</summary>")
_LISTED = re.compile(r"^- `(?P<name>[^`]+)` \((?P<status>[^)]+)\): (?P<change>.*)$")


def records_from_doc(text: str, modules: list[str]) -> dict[str, Record]:
    """The records of ``modules`` (stems such as ``runs`` or paths) read from the results part of
    a docs/testing.md. Killed mutants count as ``killed`` (the table does not split them)."""
    wanted = {Path(m).stem for m in modules}
    section = text.split(BEGIN, 1)[1].split(END, 1)[0]
    records: dict[str, Record] = {}
    current: Record | None = None
    for line in section.splitlines():
        if row := _ROW.match(line):
            module = row["module"]
            if Path(module).stem in wanted:
                survived, no_tests = int(row["survived"]), int(row["no_tests"])
                other = int(row["total"]) - int(row["killed"]) - survived - no_tests
                counts = {"killed": int(row["killed"]), "survived": survived}
                counts.update({"no tests": no_tests, "suspicious": other})
                counts = {k: v for k, v in counts.items() if v}
                records[module] = {"module": module, "counts": counts, "listed": []}
        elif summary := _SUMMARY.match(line):
            current = records.get(summary["module"])
        elif (item := _LISTED.match(line)) and current is not None:
            current["listed"].append([item["name"], item["status"], item["change"]])
        elif line.startswith("</details>"):
            current = None
    missing = wanted - {Path(m).stem for m in records}
    if missing:
        raise SystemExit(f"no row for {', '.join(sorted(missing))} in the document")
    return records


def write_doc(records: dict[str, Record]) -> int:
    text = DOC.read_text()
    if BEGIN not in text or END not in text:
        print(f"{DOC} has no mutation-results markers", file=sys.stderr)
        return 1
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    DOC.write_text(head + render(records) + tail)
    killed, total, score = _score(sum((Counter(r["counts"]) for r in records.values()), Counter()))
    print(f"mutation score of {PACKAGE}/ ({len(records)} modules): {killed}/{total} = {score:.1f}%")
    return 0


def main(argv: list[str]) -> int:
    os.chdir(ROOT)
    if argv[:1] == ["--from-doc"] and len(argv) > 2:
        save_records(records_from_doc(Path(argv[1]).read_text(), argv[2:]))
    elif argv == ["--render"]:
        pass
    elif not argv:
        fresh, unchecked = collect()
        if not fresh and not unchecked:
            print("no mutmut results: run `mutmut run` first", file=sys.stderr)
            return 1
        save_records(fresh)
        print(f"recorded {len(fresh)} modules: {', '.join(Path(m).stem for m in sorted(fresh))}")
        for module, count in sorted(unchecked.items()):
            print(f"kept the previous record of {module}: {count} mutants not checked")
    else:
        print(__doc__, file=sys.stderr)
        return 2
    for module in prune_records():
        print(f"removed the record of {module} (the module is gone)")
    return write_doc(load_records())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
