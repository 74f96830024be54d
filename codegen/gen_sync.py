"""Generate the synchronous twins of the async source with unasync.

    python codegen/gen_sync.py          # (re)write trigger_client/_sync and tests/_sync
    python codegen/gen_sync.py --check  # exit 1 if a committed twin differs from a fresh one

The async code is the source of truth. unasync rewrites it token by token into a temporary
directory (absolute paths only: with a relative path unasync overwrites its input), the result is
formatted with the repository's own ruff, then written (or compared). The check also fails when
async constructs survive in the sync output (``await anyio.sleep(x)`` silently becomes a never
awaited coroutine) and when a replacement rule is never used (stale rules hide mistakes).
"""

from __future__ import annotations

import difflib
import io
import subprocess
import sys
import tempfile
import tokenize
from pathlib import Path

import unasync

ROOT = Path(__file__).resolve().parent.parent

# (async dir, sync dir, names allowed to survive in the sync output)
PAIRS: list[tuple[Path, Path, frozenset[str]]] = [
    (ROOT / "trigger_client" / "_async", ROOT / "trigger_client" / "_sync", frozenset()),
    # generated sync tests keep `pytest.mark.anyio`: the anyio plugin leaves sync tests alone
    (ROOT / "tests" / "_async", ROOT / "tests" / "_sync", frozenset({"anyio"})),
    (
        ROOT / "tests" / "misuse" / "_async",
        ROOT / "tests" / "misuse" / "_sync",
        frozenset({"anyio"}),
    ),
]

# Names unasync would get wrong by default (its rule maps AsyncFoo -> SyncFoo).
REPLACEMENTS: dict[str, str] = {
    # our public names: drop the prefix
    "AsyncTriggerClient": "TriggerClient",
    "AsyncRunsResource": "RunsResource",
    "AsyncAuthResource": "AuthResource",
    "AsyncRunSubscription": "RunSubscription",
    "AsyncRealtimeFeed": "RealtimeFeed",
    "AsyncPollFeed": "PollFeed",
    "AsyncTransport": "Transport",
    "AsyncHttpStack": "HttpStack",
    "AsyncPacketResolver": "PacketResolver",
    "AsyncRunFeed": "RunFeed",
    "AsyncTokenSource": "TokenSource",
    "AsyncTasksResource": "TasksResource",
    "AsyncRunList": "RunList",
    "AsyncRunPages": "RunPages",
    "AsyncRunIterator": "RunIterator",
    "AsyncHttpcoreSender": "HttpcoreSender",
    "AsyncHttpxSender": "HttpxSender",
    "AsyncRealtimeSender": "RealtimeSender",
    "AsyncStreamSubscription": "StreamSubscription",
    "AsyncRunWithStreams": "RunWithStreams",
    # httpx names that do not follow the Async* -> Sync* rule
    "AsyncClient": "Client",
    # httpcore names
    "AsyncHTTPConnection": "HTTPConnection",
    "aclose": "close",
    # module paths in absolute imports (tests import trigger_client._async....)
    "_async": "_sync",
    "aread": "read",
    "handle_async_request": "handle_request",
    # httpx-sse
    "aiter_sse": "iter_sse",
}

# Names that must never survive into sync code.
FORBIDDEN = frozenset({"async", "await", "anyio", "asyncio", "trio", "AsyncBackend", "sniffio"})

HEADER = "# Generated from {src} by `make codegen` (codegen/gen_sync.py). Do not edit.\n"

_used: set[str] = set()


class _TrackingRule(unasync.Rule):  # type: ignore[misc]
    """Records which replacements fired, so stale entries fail the check."""

    def _unasync_name(self, name: str) -> str:  # a private hook of unasync 0.6.0
        if name in REPLACEMENTS:
            _used.add(name)
        result: str = super()._unasync_name(name)
        return result


def _generate(async_dir: Path, out_dir: Path) -> dict[Path, str]:
    """Run unasync from async_dir into out_dir, format it, and return {relative path: text}."""
    files = sorted(async_dir.rglob("*.py"))
    rule = _TrackingRule(
        str(async_dir) + "/", str(out_dir) + "/", additional_replacements=REPLACEMENTS
    )
    unasync.unasync_files([str(f) for f in files], rules=[rule])
    for f in files:
        out = out_dir / f.relative_to(async_dir)
        out.write_text(HEADER.format(src=f.relative_to(ROOT).as_posix()) + out.read_text())
    if files:
        ruff = [sys.executable, "-m", "ruff"]
        cfg = ["--config", str(ROOT / "pyproject.toml")]
        subprocess.run([*ruff, "check", "--fix", "--quiet", *cfg, str(out_dir)], check=False)
        subprocess.run([*ruff, "format", "--quiet", *cfg, str(out_dir)], check=True)
    return {p.relative_to(out_dir): p.read_text() for p in sorted(out_dir.rglob("*.py"))}


def _leaks(text: str, allowed: frozenset[str]) -> list[str]:
    found = []
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.NAME and tok.string in FORBIDDEN - allowed:
            found.append(f"line {tok.start[0]}: {tok.string!r}")
    return found


def main(argv: list[str]) -> int:
    check = "--check" in argv
    failed = False
    for async_dir, sync_dir, allowed in PAIRS:
        if not async_dir.is_dir():
            continue
        with tempfile.TemporaryDirectory() as tmp:
            expected = _generate(async_dir, Path(tmp) / sync_dir.name)
        for rel, text in expected.items():
            if leaks := _leaks(text, allowed):
                print(f"{sync_dir / rel}: async constructs left after unasync: {leaks}")
                failed = True
        actual = (
            {p.relative_to(sync_dir): p.read_text() for p in sorted(sync_dir.rglob("*.py"))}
            if sync_dir.is_dir()
            else {}
        )
        if check:
            for rel in sorted(set(expected) | set(actual)):
                committed, fresh = actual.get(rel), expected.get(rel)
                if committed != fresh:
                    failed = True
                    sys.stdout.writelines(
                        difflib.unified_diff(
                            (committed or "").splitlines(True),
                            (fresh or "").splitlines(True),
                            f"committed/{sync_dir.relative_to(ROOT)}/{rel}",
                            f"generated/{sync_dir.relative_to(ROOT)}/{rel}",
                        )
                    )
        else:
            for rel in set(actual) - set(expected):
                (sync_dir / rel).unlink()
            for rel, text in expected.items():
                (sync_dir / rel).parent.mkdir(parents=True, exist_ok=True)
                if actual.get(rel) != text:
                    (sync_dir / rel).write_text(text)
    if unused := sorted(set(REPLACEMENTS) - _used):
        print(f"unused unasync replacements (remove them from codegen/gen_sync.py): {unused}")
        failed = True
    if failed and check:
        print("\nthe sync twin is stale or broken: run `make codegen`", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
