"""``trigger-client`` (also ``python -m trigger_client``): watch runs, mint public access tokens.

    trigger-client watch run_1234                 a live status line until the run finishes
    trigger-client watch run_1234 --json          one JSON line per update
    trigger-client watch run_1234 --streams       also each chunk the run streams, as it arrives
    trigger-client watch --tag user:42            every run carrying a tag (never ends by itself)
    trigger-client watch --batch batch_1234       every run of a batch (never ends by itself)
    trigger-client token --run run_1234           print a public access token that can read a run

Configuration comes from ``--base-url`` / ``--access-token`` or the environment, as for the
clients: ``TRIGGER_API_URL``, ``TRIGGER_SECRET_KEY`` or ``TRIGGER_ACCESS_TOKEN``. Nothing but the
``token`` command's own result ever prints a token. Exit codes are in ``EXIT_CODES``.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import shutil
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, TextIO

import anyio

from . import _cli_render as render
from ._async import AsyncRunSubscription, AsyncTriggerClient
from ._config import env_access_token, env_base_url
from ._exceptions import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    SubscriptionTimeout,
    TriggerConfigurationError,
)
from ._protocol.credentials import clean_token
from ._protocol.reachability import public_url
from ._protocol.streams import StreamChunk
from ._protocol.urls import normalize_base_url
from ._version import __version__

# ``watch`` uses the async client only: the blocking client and the scopes load with ``token``.
if TYPE_CHECKING:
    from ._generated.models import Run

__all__ = ["EXIT_CODES", "main"]

EXIT_CODES: Final = f"""\
exit codes:
  {render.EXIT_SUCCESS}    the run COMPLETED (for --tag/--batch: watched until --timeout)
  {render.EXIT_RUN_FAILED}    the run finished without success: FAILED, CRASHED, SYSTEM_FAILURE,
       INTERRUPTED, TIMED_OUT, EXPIRED or CANCELED
  {render.EXIT_USAGE}    bad arguments, or no access token configured
  {render.EXIT_API_ERROR}    the API refused or failed: unknown run (404), bad or expired token
       (401), token without the needed scope (403), network failure after retries
  {render.EXIT_TIMEOUT}    --timeout passed before the run finished (the run goes on)
  {render.EXIT_INTERRUPTED}  interrupted with Ctrl+C
"""

_ENVIRONMENT: Final = """\
environment:
  TRIGGER_API_URL        the API (default https://api.trigger.dev)
  TRIGGER_SECRET_KEY     the environment's secret key (tr_dev_..., tr_prod_...)
  TRIGGER_ACCESS_TOKEN   a secret key or public access token (when TRIGGER_SECRET_KEY is unset)
"""

_TICK_SECONDS: Final = 0.2
_SPINNER: Final = "|/-\\"

logger = logging.getLogger("trigger_client")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); returns the exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error (already printed)
        return exc.code if isinstance(exc.code, int) else render.EXIT_USAGE
    level = logger.level
    handler = _enable_debug_logging() if getattr(args, "verbose", False) else None
    try:
        if args.command == "watch":
            return _watch(parser, args)
        return _token(args)
    except SystemExit as exc:  # parser.error() for a combination of options
        return exc.code if isinstance(exc.code, int) else render.EXIT_USAGE
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return render.EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away (`trigger-client watch ... | head -1`)
        _silence_stdout()
        return render.EXIT_RUN_FAILED
    except TriggerConfigurationError as exc:
        _error(str(exc))
        return render.EXIT_USAGE
    except APIError as exc:
        _error(_explain(exc, args))
        return render.EXIT_API_ERROR
    except ValueError as exc:  # an argument the SDK refused (a bad id, expiry or scope)
        _error(str(exc))
        return render.EXIT_USAGE
    finally:
        if handler is not None:
            logger.removeHandler(handler)
            logger.setLevel(level)


# -- arguments -------------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    # Options shared by every command; accepted before or after the command name.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--base-url",
        default=argparse.SUPPRESS,
        metavar="URL",
        help="the API's URL (default: $TRIGGER_API_URL, else https://api.trigger.dev)",
    )
    common.add_argument(
        "--access-token",
        default=argparse.SUPPRESS,
        metavar="TOKEN",
        help="a secret key or public access token (default: $TRIGGER_SECRET_KEY, else "
        "$TRIGGER_ACCESS_TOKEN); prefer the environment, since other users of the machine can "
        "see a process's arguments",
    )
    common.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS,
        help="log the SDK's requests, retries and reconnects to stderr (secrets redacted)",
    )
    parser = argparse.ArgumentParser(
        prog="trigger-client",
        description="Follow Trigger.dev runs from the shell, and mint public access tokens.",
        parents=[common],
        epilog=EXIT_CODES + "\n" + _ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"trigger-client {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    watch = commands.add_parser(
        "watch",
        parents=[common],
        help="follow a run (or a tag, or a batch) as it changes",
        description="Follow a run until it finishes: a live status line on a terminal (plain "
        "lines otherwise) with the elapsed time, the status and the progress the task reports "
        'in its metadata ({"progress": 0.5}), then the output or the error. With --tag or '
        "--batch, one line per update of every matching run, until --timeout or Ctrl+C.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    watch.add_argument("run_id", nargs="?", metavar="RUN_ID", help="the run to follow")
    watch.add_argument(
        "--tag",
        action="append",
        dest="tags",
        metavar="TAG",
        help="follow every run carrying this tag (repeat for runs carrying all of them)",
    )
    watch.add_argument("--batch", metavar="BATCH_ID", help="follow every run of this batch")
    watch.add_argument(
        "--created-at",
        metavar="PERIOD",
        help='with --tag: how far back to look, such as "1h" or "2d" (default 24 hours)',
    )
    watch.add_argument(
        "--json",
        action="store_true",
        dest="json_lines",
        help="print each update as one line of JSON (the run, with the API's field names)",
    )
    watch.add_argument(
        "--timeout",
        type=_positive_seconds,
        metavar="SECONDS",
        help="give up after this long (exit 4); with --tag/--batch: stop watching (exit 0)",
    )
    watch.add_argument(
        "--poll",
        action="store_true",
        help="poll the REST API instead of the realtime endpoint (a single run only)",
    )
    watch.add_argument(
        "--poll-interval",
        type=_positive_seconds,
        default=1.0,
        metavar="SECONDS",
        help="seconds between polls with --poll (default 1)",
    )
    watch.add_argument(
        "--skip-columns",
        metavar="COLUMNS",
        help="realtime columns to leave out, comma-separated, such as payload,output",
    )
    watch.add_argument(
        "--streams",
        action="store_true",
        help="a single run: also print each chunk of every stream the run opens (LLM tokens, "
        "log lines), as it arrives; with --json one line per chunk",
    )
    watch.add_argument(
        "--plain",
        action="store_true",
        help="plain lines even on a terminal (no redrawn status line, no colors)",
    )

    token = commands.add_parser(
        "token",
        parents=[common],
        help="print a public access token (needs a secret key)",
        description="Mint a public access token: a short-lived JWT, signed with the secret key, "
        "that grants only the scopes given here. It is safe to hand to a browser. Only the "
        "token is printed.",
        epilog="example: trigger-client token --run run_1234 --expires 1h",
    )
    token.add_argument(
        "--run", action="append", dest="runs", metavar="RUN_ID", help="read this run (repeatable)"
    )
    token.add_argument("--all-runs", action="store_true", help="read every run of the environment")
    token.add_argument(
        "--tag", action="append", dest="tags", metavar="TAG", help="read runs with this tag"
    )
    token.add_argument(
        "--batch",
        action="append",
        dest="batches",
        metavar="BATCH_ID",
        help="read the runs of this batch",
    )
    token.add_argument(
        "--trigger",
        action="append",
        dest="trigger_tasks",
        metavar="TASK_ID",
        help="trigger this task",
    )
    token.add_argument(
        "--scope",
        action="append",
        dest="raw_scopes",
        metavar="SCOPE",
        help="a scope string, such as read:runs:run_1234 or read:tags:user:42",
    )
    token.add_argument(
        "--expires",
        default="15m",
        metavar="DURATION",
        help='how long the token is valid: "15m" (default), "1h", "2d", ...',
    )
    return parser


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value < math.inf:  # also refuses nan
        raise argparse.ArgumentTypeError(f"must be a positive, finite number, not {text}")
    return value


def _client_options(args: argparse.Namespace) -> dict[str, Any]:
    """The client's options from the flags; a missing or unusable token is a
    ``TriggerConfigurationError`` in the words of the command line (its flag and variables)."""
    options: dict[str, Any] = {}
    if getattr(args, "base_url", None):
        options["base_url"] = normalize_base_url(args.base_url, "--base-url")
    if getattr(args, "access_token", None) is not None:
        options["access_token"] = clean_token(args.access_token, "--access-token")
    elif env_access_token() is None:
        raise TriggerConfigurationError(
            "no access token: set TRIGGER_SECRET_KEY (or TRIGGER_ACCESS_TOKEN) in the "
            "environment, or pass --access-token"
        )
    return options


def _enable_debug_logging() -> logging.Handler:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    return handler


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that flushing it at exit does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _error(message: str) -> None:
    print(f"trigger-client: error: {message}", file=sys.stderr)


def _explain(exc: APIError, args: argparse.Namespace) -> str:
    hint = ""
    if isinstance(exc, AuthenticationError):
        hint = (
            " (check the access token: TRIGGER_SECRET_KEY, TRIGGER_ACCESS_TOKEN or --access-token)"
        )
    elif isinstance(exc, PermissionDeniedError):
        hint = " (a public access token needs a scope for it, e.g. `trigger-client token --run ID`)"
    elif isinstance(exc, APIConnectionError):
        url = public_url(getattr(args, "base_url", None) or env_base_url())
        hint = f" (could not reach {url}: check --base-url or TRIGGER_API_URL)"
    elif isinstance(exc, NotFoundError):
        hint = " (is it in the environment of this key, on this server? see TRIGGER_API_URL)"
    return f"{exc}{hint}"


# -- watch -----------------------------------------------------------------------------------------


def _watch(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    targets = [t for t in (args.run_id, args.tags, args.batch) if t]
    if len(targets) != 1:
        parser.error("watch takes exactly one of RUN_ID, --tag or --batch")
    if args.poll and not args.run_id:
        parser.error("--poll follows a single run: give a RUN_ID")
    if args.created_at and not args.tags:
        parser.error("--created-at goes with --tag")
    if args.streams and (not args.run_id or args.poll):
        parser.error("--streams follows the realtime streams of a single run: give a RUN_ID")
    out = sys.stdout
    single = bool(args.run_id)
    live = (
        single
        and not args.json_lines
        and not args.plain
        and not getattr(args, "verbose", False)
        and _isatty(out)
    )
    display = _Display(
        out,
        live=live,
        json_lines=args.json_lines,
        color=live and not os.environ.get("NO_COLOR"),
        stack_trace=bool(getattr(args, "verbose", False)),
    )
    try:
        last = anyio.run(_follow, args, display)
    except SubscriptionTimeout as exc:
        display.end_line()
        if not single:
            return render.EXIT_SUCCESS  # a feed never ends: --timeout is how long to watch it
        status = exc.last_run.status if exc.last_run is not None else "unknown"
        _error(
            f"{args.run_id} did not finish within {args.timeout:g}s (last status: {status}); "
            "the run goes on"
        )
        return render.EXIT_TIMEOUT
    except BaseException:
        display.end_line()
        raise
    if not single:
        return render.EXIT_SUCCESS
    if last is None or not last.is_finished:
        _error("the subscription ended before the run finished")
        return render.EXIT_RUN_FAILED
    display.finish(last)
    return render.exit_code_for(last)


async def _follow(args: argparse.Namespace, display: _Display) -> Run | None:
    skip = args.skip_columns.split(",") if args.skip_columns else None
    async with AsyncTriggerClient(**_client_options(args)) as client:
        subscription: AsyncRunSubscription
        if args.run_id:
            subscription = client.runs.subscribe_to_run(
                args.run_id,
                skip_columns=skip,
                feed="poll" if args.poll else "realtime",
                poll_interval=args.poll_interval,
                timeout=args.timeout,
            )
        elif args.tags:
            subscription = client.runs.subscribe_to_runs_with_tag(
                args.tags, created_at=args.created_at, skip_columns=skip, timeout=args.timeout
            )
        else:
            subscription = client.runs.subscribe_to_batch(
                args.batch, skip_columns=skip, timeout=args.timeout
            )
        async with subscription:
            failure: Exception | None = None
            async with anyio.create_task_group() as tasks:
                if display.live:
                    tasks.start_soon(_tick, display)
                try:
                    if args.streams:
                        async for part in subscription.with_streams():
                            if isinstance(part, StreamChunk):
                                display.chunk(part.stream, part.chunk)
                            else:
                                display.update(part.run)
                    else:
                        async for run in subscription:
                            display.update(run, single=bool(args.run_id))
                except Exception as exc:  # re-raised below, outside the task group
                    failure = exc
                finally:
                    tasks.cancel_scope.cancel()
            if failure is not None:
                raise failure
            return subscription.last


async def _tick(display: _Display) -> None:
    while True:
        await anyio.sleep(_TICK_SECONDS)
        display.tick()


class _Display:
    """Writes updates: a redrawn line (live), plain lines, or JSON lines."""

    def __init__(
        self, out: TextIO, *, live: bool, json_lines: bool, color: bool, stack_trace: bool
    ) -> None:
        self.out = out
        self.live = live
        self.json_lines = json_lines
        self.color = color
        self.stack_trace = stack_trace
        self._last: Run | None = None
        self._drawn = False
        self._frame = 0

    def update(self, run: Run, *, single: bool = True) -> None:
        self._last = run
        if self.json_lines:
            self._write(render.json_line(run) + "\n")
        elif not single:
            self._write(render.feed_line(run, _now()) + "\n")
        elif self.live:
            self._redraw(run)
        else:
            self._write(render.status_line(run, _now()) + "\n")

    def tick(self) -> None:
        """Redraw the live line, so the elapsed time moves while nothing changes."""
        if self.live and self._last is not None and not self._last.is_finished:
            self._frame += 1
            self._redraw(self._last)

    def _redraw(self, run: Run) -> None:
        spinner = " " if run.is_finished else _SPINNER[self._frame % len(_SPINNER)]
        line = f"{spinner} {render.status_line(run, _now(), bar=True)}"
        width = shutil.get_terminal_size((100, 24)).columns - 1
        if len(line) > width:  # a wrapped line could not be redrawn in place
            line = line[: max(width - 3, 0)] + "..."
        if self.color:
            line = render.colorize_status(line, run)
        self._write(f"\r{line}\x1b[K")
        self._drawn = True

    def chunk(self, stream: str, chunk: Any) -> None:
        """One chunk of a stream: ``stream: text`` (JSON when it is not text), or a JSON line."""
        if self.json_lines:
            line = {"stream": stream, "chunk": render.to_json(chunk)}
            self._write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
            return
        text = chunk if isinstance(chunk, str) else json.dumps(render.to_json(chunk))
        self.end_line()
        self._write(f"{stream}: {text}\n")
        if self.live and self._last is not None:
            self._redraw(self._last)

    def end_line(self) -> None:
        """Leave the live line where it is and move below it."""
        if self._drawn:
            self._write("\n")
            self._drawn = False

    def finish(self, run: Run) -> None:
        """Say how the run ended: its output or its error (nothing more with ``--json``)."""
        self.end_line()
        if self.json_lines:
            return
        for line in render.final_lines(run, stack_trace=self.stack_trace):
            self._write(line + "\n")

    def _write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()


def _now() -> datetime:
    return datetime.now(UTC)


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


# -- token -----------------------------------------------------------------------------------------


def _token(args: argparse.Namespace) -> int:
    from ._protocol.scopes import Scopes
    from ._sync import TriggerClient

    scopes = Scopes(
        read_runs=True if args.all_runs else args.runs,
        read_tags=args.tags,
        read_batch=args.batches,
        trigger_tasks=args.trigger_tasks,
    ).to_dict()
    granted: dict[str, dict[str, list[str] | bool] | bool] = dict(scopes.items())
    for scope in args.raw_scopes or ():
        _add_scope(granted, scope)
    if not granted:
        _error("give at least one scope: --run RUN_ID, --tag TAG, --batch ID, --scope SCOPE, ...")
        return render.EXIT_USAGE
    with TriggerClient(**_client_options(args)) as client:
        token = client.auth.create_public_token(scopes=granted, expiration_time=args.expires)
    print(token)
    return render.EXIT_SUCCESS


def _add_scope(granted: dict[str, dict[str, list[str] | bool] | bool], scope: str) -> None:
    """Merge one ``action[:type[:id]]`` string into the nested scope mapping."""
    from ._protocol.scopes import check_scope

    action, resource_type, resource_id = check_scope(scope)
    current = granted.get(action)
    if current is True:
        return
    if resource_type is None:
        granted[action] = True
        return
    resources: dict[str, list[str] | bool] = current if isinstance(current, dict) else {}
    granted[action] = resources
    ids = resources.get(resource_type)
    if resource_id is None:
        resources[resource_type] = True
    elif ids is not True:
        listed = list(ids) if isinstance(ids, list) else []
        if resource_id not in listed:
            listed.append(resource_id)
        resources[resource_type] = listed
