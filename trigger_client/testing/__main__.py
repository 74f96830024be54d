"""``python -m trigger_client.testing serve``: run the emulator from the shell."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from ._lifecycle import LIFECYCLES


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m trigger_client.testing",
        description="A local Trigger.dev API emulator.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the emulator until interrupted")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=0, help="port (default 0: a free port)")
    serve.add_argument(
        "--long-poll-ms",
        type=int,
        default=20_000,
        help="how long a live realtime request is held (default 20000)",
    )
    serve.add_argument("--backend", choices=("electric", "native"), default="electric")
    serve.add_argument("--secret-key", help="the environment's secret key (default: random)")
    serve.add_argument(
        "--auto-play",
        choices=sorted(LIFECYCLES),
        help="play this lifecycle on every run triggered over HTTP",
    )
    serve.add_argument(
        "--auto-play-interval",
        type=float,
        default=0.5,
        help="seconds between lifecycle steps (default 0.5)",
    )
    serve.add_argument(
        "--realtime-concurrency-limit", type=int, default=100_000, help="live requests per env"
    )
    serve.add_argument(
        "--rate-limit",
        action="store_true",
        help="limit /api requests as the real service does (429 with x-ratelimit-* headers)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        from ._server import TriggerEmulator
    except ModuleNotFoundError as exc:
        from . import MISSING_EXTRA

        print(f"{MISSING_EXTRA} ({exc})", file=sys.stderr)
        return 2
    emulator = TriggerEmulator(
        host=args.host,
        port=args.port,
        long_poll_ms=args.long_poll_ms,
        backend=args.backend,
        secret_key=args.secret_key,
        auto_play=args.auto_play,
        auto_play_interval=args.auto_play_interval,
        realtime_concurrency_limit=args.realtime_concurrency_limit,
        rate_limit=args.rate_limit,
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with emulator:
        print(
            f"Trigger.dev emulator ({args.backend} backend) listening on {emulator.base_url}",
            flush=True,
        )
        print(f"TRIGGER_API_URL={emulator.base_url}", flush=True)
        print(f"TRIGGER_SECRET_KEY={emulator.secret_key}", flush=True)
        print("Press Ctrl+C to stop.", flush=True)
        while not stop.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
