"""Sizes and repeat counts of the full run and of ``--quick``."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FULL", "QUICK", "Sizes"]


@dataclass(frozen=True)
class Sizes:
    #: 1. steady state: updates per client run, and repeats per client
    steady_updates: int
    steady_repeats: int
    #: poll transport: its interval (s); the server commits ~1 ms after the client caught up
    poll_interval: float
    #: 2. latency: updates per run, the pause before each commit (so the long-poll is held), repeats
    latency_updates: int
    latency_gap_s: float
    latency_repeats: int
    #: 3. fan-out: subscription counts, rounds per run, repeats per K (same length as ks)
    fanout_ks: tuple[int, ...]
    fanout_rounds: int
    fanout_repeats: tuple[int, ...]
    #: bound on getting all K live, per client run (s)
    fanout_live_timeout: float
    #: bound on one round reaching every subscriber (s)
    fanout_round_timeout: float
    #: 4. tag feed snapshot sizes and repeats
    tag_sizes: tuple[int, ...]
    tag_repeats: int
    #: 5. cold start: rounds of fresh processes (medians), and the tag feed's snapshot size
    startup_repeats: int
    startup_tag_size: int


FULL = Sizes(
    steady_updates=1000,
    steady_repeats=4,
    poll_interval=0.005,
    latency_updates=300,
    latency_gap_s=0.005,
    latency_repeats=3,
    fanout_ks=(100, 1000, 5000),
    fanout_rounds=3,
    fanout_repeats=(3, 1, 1),
    fanout_live_timeout=90.0,
    fanout_round_timeout=60.0,
    tag_sizes=(2000, 10000),
    tag_repeats=3,
    startup_repeats=15,
    startup_tag_size=2000,
)

QUICK = Sizes(
    steady_updates=200,
    steady_repeats=2,
    poll_interval=0.005,
    latency_updates=100,
    latency_gap_s=0.005,
    latency_repeats=1,
    fanout_ks=(100, 500),
    fanout_rounds=2,
    fanout_repeats=(1, 1),
    fanout_live_timeout=40.0,
    fanout_round_timeout=30.0,
    tag_sizes=(500, 2000),
    tag_repeats=1,
    startup_repeats=3,
    startup_tag_size=2000,
)
