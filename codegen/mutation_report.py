"""Write the score of the last ``mutmut run`` and its surviving mutants into docs/testing.md.

    python codegen/mutation_report.py           # after `mutmut run` (make mutation runs both)

Reads mutmut's results (``mutants/**/*.meta``) through mutmut's own modules and replaces the part of
docs/testing.md between the ``mutation-results`` markers: the score per module and overall, then
every survivor (and every mutant no test reaches) with the line it changes. Why a survivor is
equivalent, or which test kills it now, is written by hand above the markers.
"""

from __future__ import annotations

import os
import sys
from collections import Counter, defaultdict
from pathlib import Path

from mutmut.mutation.data import SourceFileMutationData
from mutmut.mutation.diff_apply import get_diff_for_mutant
from mutmut.stats import status_by_exit_code
from mutmut.utils.file_utils import walk_mutatable_files

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "testing.md"
BEGIN = "<!-- mutation-results: begin (written by codegen/mutation_report.py) -->"
END = "<!-- mutation-results: end -->"
#: Statuses that count as killed (mutmut's own score counts timeouts as killed too).
KILLED = frozenset({"killed", "timeout", "caught by type check"})
#: Statuses listed one by one.
LISTED = ("survived", "no tests", "suspicious", "segfault")


def _changed_line(name: str, path: Path) -> str:
    """The mutated line of a mutant, as ``- before`` / ``+ after``."""
    diff = get_diff_for_mutant(name, path=path).splitlines()
    minus = [
        line[1:].strip() for line in diff if line.startswith("-") and not line.startswith("---")
    ]
    plus = [
        line[1:].strip() for line in diff if line.startswith("+") and not line.startswith("+++")
    ]
    return f"`{' / '.join(minus)[:110]}` -> `{' / '.join(plus)[:110]}`"


def collect() -> tuple[dict[str, Counter[str]], dict[str, list[tuple[str, str, str]]]]:
    """(status counts per module, listed mutants per module as (name, status, change))."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    listed: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for path in walk_mutatable_files():
        data = SourceFileMutationData(path=path)
        data.load()
        module = str(path)
        for name, exit_code in sorted(data.exit_code_by_key.items()):
            status = status_by_exit_code[exit_code]
            counts[module][status] += 1
            if status in LISTED:
                listed[module].append((name, status, _changed_line(name, path)))
    return counts, listed


def _score(counter: Counter[str]) -> tuple[int, int, float]:
    killed = sum(counter[s] for s in KILLED)
    total = sum(counter.values()) - counter["skipped"] - counter["not checked"]
    return killed, total, (100.0 * killed / total if total else 0.0)


def render(counts: dict[str, Counter[str]], listed: dict[str, list[tuple[str, str, str]]]) -> str:
    lines = [
        BEGIN,
        "",
        "| module | mutants | killed | survived | no tests | score |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    overall: Counter[str] = Counter()
    for module in sorted(counts):
        counter = counts[module]
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
    not_checked = overall["not checked"]
    if not_checked:
        lines += ["", f"{not_checked} mutants were not checked (the run was stopped early)."]
    lines += ["", "Mutants not killed, by module (`mutmut show <name>` prints the whole diff):", ""]
    for module in sorted(listed):
        lines += [f"<details><summary><code>{module}</code>: {len(listed[module])}</summary>", ""]
        lines += [
            f"- `{name.split('.', 2)[-1]}` ({status}): {change}"
            for name, status, change in listed[module]
        ]
        lines += ["", "</details>", ""]
    lines.append(END)
    return "\n".join(lines)


def main() -> int:
    os.chdir(ROOT)
    counts, listed = collect()
    if not counts:
        print("no mutmut results: run `mutmut run` first", file=sys.stderr)
        return 1
    text = DOC.read_text()
    if BEGIN not in text or END not in text:
        print(f"{DOC} has no mutation-results markers", file=sys.stderr)
        return 1
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    DOC.write_text(head + render(counts, listed) + tail)
    killed, total, score = _score(sum(counts.values(), Counter()))
    print(f"mutation score of trigger_client/_protocol/: {killed}/{total} = {score:.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
