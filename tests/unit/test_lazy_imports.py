"""``import trigger_client`` is cheap; every public name still imports, from where it is defined."""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

import trigger_client

INIT = Path(trigger_client.__file__)


def _type_checking_imports() -> dict[str, tuple[str, ...]]:
    """Module -> names, from the ``if TYPE_CHECKING:`` block of ``trigger_client/__init__.py``."""
    tree = ast.parse(INIT.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            return {
                "." * statement.level + (statement.module or ""): tuple(
                    alias.name for alias in statement.names
                )
                for statement in node.body
                if isinstance(statement, ast.ImportFrom)
            }
    raise AssertionError("no TYPE_CHECKING block in trigger_client/__init__.py")


def test_the_lazy_table_is_what_the_type_checker_reads() -> None:
    lazy = trigger_client._LAZY
    assert _type_checking_imports() == lazy
    eager = {"auth", "configure", "runs", "tasks", "__version__"}
    assert set(trigger_client._LAZY_MODULE) | eager == set(trigger_client.__all__)
    assert not set(trigger_client._LAZY_MODULE) & eager


@pytest.mark.parametrize("name", trigger_client.__all__)
def test_every_public_name_is_the_defining_modules_object(name: str) -> None:
    value = getattr(trigger_client, name)
    module = trigger_client._LAZY_MODULE.get(name)
    if module is not None:
        assert value is getattr(importlib.import_module(module, "trigger_client"), name)
    assert name in dir(trigger_client)


def test_unknown_names_are_attribute_errors() -> None:
    with pytest.raises(AttributeError, match="no attribute 'NoSuchThing'"):
        trigger_client.NoSuchThing  # type: ignore[attr-defined]  # noqa: B018
    with pytest.raises(ImportError):
        exec("from trigger_client import NoSuchThing", {})


def _modules_after(code: str) -> set[str]:
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    ).stdout
    return set(json.loads(out.splitlines()[-1]))


def test_import_loads_no_client_and_no_dependency() -> None:
    loaded = _modules_after("import trigger_client")
    for heavy in ("httpx", "attrs", "cattrs", "jwt", "anyio", "trigger_client._async"):
        assert heavy not in loaded


def test_the_sync_client_does_not_load_the_async_one() -> None:
    loaded = _modules_after("from trigger_client import TriggerClient, Run, RunStatus")
    assert "trigger_client._sync._client" in loaded
    assert not {m for m in loaded if m.startswith("trigger_client._async")}
    assert "trigger_client._cli" not in loaded


#: What a client loads only when a resource is first used: the resources, the models, cattrs,
#: the feeds and subscriptions, the protocol modules behind them, PyJWT; and never the CLI.
_LOADED_ON_FIRST_USE = (
    "cattrs",
    "jwt",
    "trigger_client._cli",
    "trigger_client._generated.models",
    "trigger_client._generated.rest_models",
    "trigger_client._serde",
    "trigger_client._protocol.listing",
    "trigger_client._protocol.packets",
    "trigger_client._protocol.runs",
    "trigger_client._protocol.scopes",
    "trigger_client._protocol.shape_log",
    "trigger_client._protocol.superjson",
    "trigger_client._protocol.tasks",
    "trigger_client._protocol.tokens",
    *(
        f"trigger_client.{side}.{module}"
        for side in ("_async", "_sync")
        for module in (
            "_auth",
            "_feeds",
            "_packets",
            "_pagination",
            "_resources",
            "_subscription",
            "_tasks",
        )
    ),
)


@pytest.mark.parametrize("name", ["TriggerClient", "AsyncTriggerClient"])
def test_importing_and_creating_a_client_loads_no_resource(name: str) -> None:
    loaded = _modules_after(
        f"from trigger_client import {name}\n{name}(access_token='tr_dev_x', base_url='http://x')"
    )
    assert not loaded & set(_LOADED_ON_FIRST_USE)


def test_the_resources_load_on_first_access() -> None:
    loaded = _modules_after(
        "from trigger_client import TriggerClient\n"
        "client = TriggerClient(access_token='tr_dev_x', base_url='http://x')\n"
        "client.runs, client.tasks, client.auth"
    )
    for module in ("_resources", "_tasks", "_auth", "_subscription"):
        assert f"trigger_client._sync.{module}" in loaded
    assert "trigger_client._generated.models" in loaded


def test_each_client_makes_its_resources_once() -> None:
    from trigger_client import TriggerClient
    from trigger_client._sync._auth import AuthResource
    from trigger_client._sync._resources import RunsResource
    from trigger_client._sync._tasks import TasksResource

    with TriggerClient(access_token="tr_dev_x", base_url="http://x") as client:
        copy = client.with_options(max_retries=0)
        for attribute, kind in (
            ("runs", RunsResource),
            ("tasks", TasksResource),
            ("auth", AuthResource),
        ):
            resource = getattr(client, attribute)
            assert type(resource) is kind
            assert getattr(client, attribute) is resource
            assert resource._transport is client._transport
            assert getattr(copy, attribute) is not resource
            assert getattr(copy, attribute)._transport is copy._transport


@pytest.mark.parametrize("side", ["_async", "_sync"])
def test_the_client_packages_still_export_the_subscription(side: str) -> None:
    package = importlib.import_module(f"trigger_client.{side}")
    for name in package.__all__:
        assert getattr(package, name) is getattr(trigger_client, name)
    with pytest.raises(AttributeError, match="no attribute 'NoSuchThing'"):
        package.NoSuchThing  # noqa: B018


@pytest.mark.parametrize("name", ["TriggerClient", "AsyncTriggerClient"])
def test_runs_loads_what_a_subscription_uses_and_no_more(name: str) -> None:
    loaded = _modules_after(
        f"from trigger_client import {name}\n"
        f"{name}(access_token='tr_dev_x', base_url='http://x').runs"
    )
    side = "_async" if name.startswith("Async") else "_sync"
    for module in ("_generated.models", "_protocol.runs", f"{side}._feeds", f"{side}._resources"):
        assert f"trigger_client.{module}" in loaded
    for module in (
        "cattrs",
        "jwt",
        "trigger_client._generated.rest_models",
        "trigger_client._protocol.listing",
        "trigger_client._protocol.tasks",
        f"trigger_client.{side}._pagination",
    ):
        assert module not in loaded, module


@pytest.mark.parametrize("side", ["_sync", "_async"])
@pytest.mark.parametrize(
    ("attribute", "module", "kind"),
    [
        ("runs", "_resources", "RunsResource"),
        ("tasks", "_tasks", "TasksResource"),
        ("auth", "_auth", "AuthResource"),
    ],
)
def test_threads_racing_the_first_access_get_one_resource(
    monkeypatch: pytest.MonkeyPatch, side: str, attribute: str, module: str, kind: str
) -> None:
    import threading
    import time

    prefix = "Async" if side == "_async" else ""
    client_module = importlib.import_module(f"trigger_client.{side}._client")
    resource_class = getattr(
        importlib.import_module(f"trigger_client.{side}.{module}"), prefix + kind
    )
    made: list[object] = []
    real_init = resource_class.__init__

    def slow_init(self: object, transport: object) -> None:
        made.append(self)
        time.sleep(0.02)  # a window in which an unguarded second thread would make another
        real_init(self, transport)

    monkeypatch.setattr(resource_class, "__init__", slow_init)
    client = getattr(client_module, prefix + "TriggerClient")(
        access_token="tr_dev_x", base_url="http://x"
    )
    barrier = threading.Barrier(8)
    seen: list[object] = []

    def first_access() -> None:
        barrier.wait()
        seen.append(getattr(client, attribute))

    threads = [threading.Thread(target=first_access) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(seen) == 8
    assert len(made) == 1
    assert all(s is made[0] for s in seen)
    assert getattr(client, attribute) is made[0]


def test_the_rest_models_load_with_the_first_rest_call_once_under_racing_threads() -> None:
    # Eight threads parse their first REST body at once: the module loads once (the import
    # lock), every thread gets the same class, and nothing loaded it before.
    code = (
        "import sys, threading\n"
        "from trigger_client._protocol.runs import run_from_retrieve\n"
        "assert 'trigger_client._generated.rest_models' not in sys.modules\n"
        "body = {'id': 'run_1', 'status': 'COMPLETED', 'taskIdentifier': 't', 'version': '1',"
        " 'isQueued': False, 'isExecuting': False, 'isWaiting': False, 'isCompleted': True,"
        " 'isSuccess': True, 'isFailed': False, 'isCancelled': False, 'isTest': False,"
        " 'createdAt': '2026-06-06T10:00:00.000Z', 'updatedAt': '2026-06-06T10:00:05.000Z',"
        " 'tags': [], 'costInCents': 0, 'baseCostInCents': 0, 'durationMs': 0, 'depth': 0,"
        " 'attemptCount': 0, 'attempts': [], 'relatedRuns': {'children': []}}\n"
        "barrier = threading.Barrier(8)\n"
        "runs = []\n"
        "def first_call():\n"
        "    barrier.wait()\n"
        "    runs.append(run_from_retrieve(body, payload=None, output=None))\n"
        "threads = [threading.Thread(target=first_call) for _ in range(8)]\n"
        "[t.start() for t in threads]\n"
        "[t.join() for t in threads]\n"
        "assert len(runs) == 8 and len({type(r) for r in runs}) == 1, runs\n"
        "assert {r.id for r in runs} == {'run_1'}\n"
    )
    loaded = _modules_after(code)
    assert "trigger_client._generated.rest_models" in loaded


@pytest.mark.parametrize("name", ["TriggerClient", "AsyncTriggerClient"])
def test_runs_builds_only_these_attrs_classes(name: str) -> None:
    # attrs writes and compiles each class's methods when it is defined: the cost issue 18 cut
    # (the REST-only models moved to rest_models, the small protocol records written out).
    code = (
        "import attr._make\n"
        "built = []\n"
        "real = attr._make._ClassBuilder.__init__\n"
        "def record(self, cls, *args, **kwargs):\n"
        "    built.append(cls.__module__ + '.' + cls.__qualname__)\n"
        "    return real(self, cls, *args, **kwargs)\n"
        "attr._make._ClassBuilder.__init__ = record\n"
        f"from trigger_client import {name}\n"
        f"{name}(access_token='tr_dev_x', base_url='http://x').runs\n"
        "print(json.dumps(built))\n"
    )
    script = f"import json\n{code}"
    out = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    ).stdout
    built = json.loads(out.splitlines()[-1])
    # (the dev venv also has attrs users of its own, such as trio's outcome)
    assert sorted(c for c in built if c.startswith("trigger_client.")) == [
        "trigger_client._generated.models.Run",
        "trigger_client._generated.models.RunShapeRow",
        "trigger_client._generated.models.SerializedError",
        "trigger_client._generated.models.TaskRunError",
        "trigger_client._protocol.retry.RetryPolicy",
        "trigger_client._protocol.superjson.SuperjsonError",
    ]
