"""Benchmarks of trigger-client against the official TypeScript SDK (``@trigger.dev/sdk`` 3.3.17).

``python -m bench`` (``make bench``) runs every scenario and writes ``bench/RESULTS.md``;
``--quick`` uses small sizes, ``--only <scenario>`` runs one. Every scenario starts the emulator in
its own process (``bench/_server.py``) and runs each client (ours sync, async and poll; the official
SDK in node) as its own process, one at a time, against it. Clients measure their own CPU and memory
and report over stdout lines; the driver (this package) commits changes on the server when the
scenario says so. Only 127.0.0.1 is ever contacted.
"""
