"""Scope flattening, the Scopes builder and scope matching (protocol-trigger.md 4.2-4.4)."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from trigger_client._protocol.scopes import Scopes, flatten_scopes, parse_scope, scope_allows

# ---------------------------------------------------------------------------------------------
# flatten_scopes: every form of protocol-trigger.md 4.2, and the official SDK's runtime quirks


@pytest.mark.parametrize(
    ("scopes", "expected"),
    [
        # the documented examples
        (
            {"read": {"runs": ["run_1", "run_2"], "tags": "user:9"}},
            ["read:runs:run_1", "read:runs:run_2", "read:tags:user:9"],
        ),
        ({"read": {"runs": True}}, ["read:runs"]),  # trigger.dev#1477
        ({"read": {"batch": "batch_1"}}, ["read:batch:batch_1"]),
        ({"write": {"inputStreams": ["run_1"]}}, ["write:inputStreams:run_1"]),
        ({"trigger": {"tasks": "t"}}, ["trigger:tasks:t"]),
        (
            {"batchTrigger": {"tasks": ["a", "b"]}},
            ["batchTrigger:tasks:a", "batchTrigger:tasks:b"],
        ),
        # the seed's example
        ({"read": {"runs": ["run_1234"]}}, ["read:runs:run_1234"]),
        # every Perms key
        (
            {
                "read": {
                    "tasks": ["t1"],
                    "tags": True,
                    "runs": "run_1",
                    "batch": ["b1", "b2"],
                    "waitpoints": "wp_1",
                    "inputStreams": True,
                    "sessions": "s1",
                }
            },
            [
                "read:tasks:t1",
                "read:tags",
                "read:runs:run_1",
                "read:batch:b1",
                "read:batch:b2",
                "read:waitpoints:wp_1",
                "read:inputStreams",
                "read:sessions:s1",
            ],
        ),
        # insertion order across actions, not alphabetical
        (
            {"write": {"runs": True}, "read": {"runs": ["r"]}, "trigger": {"tasks": ["x"]}},
            ["write:runs", "read:runs:r", "trigger:tasks:x"],
        ),
        # False, None and empty lists give nothing
        ({"read": {"runs": False, "tags": None, "batch": []}}, []),
        ({"read": None, "write": False}, []),
        ({"read": {}}, []),
        ({}, []),
        # a tuple is a list
        ({"read": {"runs": ("a", "b")}}, ["read:runs:a", "read:runs:b"]),
        # ids keep their colons and anything else
        (
            {"read": {"tags": ["env:staging:eu", "ünï ✓"]}},
            ["read:tags:env:staging:eu", "read:tags:ünï ✓"],
        ),
        # a whole action set to True gives the bare action, as the official SDK does at runtime
        ({"admin": True}, ["admin"]),
        # the same id twice is kept twice (as the official SDK does)
        ({"read": {"runs": ["a", "a"]}}, ["read:runs:a", "read:runs:a"]),
    ],
)
def test_flatten_scopes(scopes: Any, expected: list[str]) -> None:
    assert flatten_scopes(scopes) == expected


@pytest.mark.parametrize(
    ("scopes", "error", "match"),
    [
        (["read:runs"], TypeError, "mapping"),
        ("read:runs", TypeError, "mapping"),
        (None, TypeError, "mapping"),
        ({"read": "runs"}, TypeError, r"scopes\['read'\] must be a mapping"),
        ({"read": ["runs"]}, TypeError, r"scopes\['read'\] must be a mapping"),
        ({"read": 1}, TypeError, "mapping"),
        ({"read": {"runs": 1}}, TypeError, r"scopes\['read'\]\['runs'\] must be"),
        ({"read": {"runs": {"id": "x"}}}, TypeError, "must be an id string"),
        ({"read": {"runs": b"run_1"}}, TypeError, "must be an id string"),
        ({"read": {"runs": ["run_1", 2]}}, TypeError, r"\[1\] must be an id string, not int"),
        ({"read": {"runs": [None]}}, TypeError, "not NoneType"),
        ({"read": {"runs": ""}}, ValueError, "empty id"),
        ({"read": {"runs": ["run_1", ""]}}, ValueError, "empty id"),
        ({"": {"runs": True}}, ValueError, "action"),
        ({"read:x": {"runs": True}}, ValueError, "without ':'"),
        ({"read": {"": True}}, ValueError, "resource type"),
        ({"read": {"runs:x": True}}, ValueError, "without ':'"),
        ({1: {"runs": True}}, TypeError, "action must be a string"),
        ({"read": {1: True}}, TypeError, "resource type of 'read' must be a string"),
    ],
)
def test_flatten_scopes_rejects_malformed_input(scopes: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        flatten_scopes(scopes)


# ---------------------------------------------------------------------------------------------
# the Scopes builder


def test_builder_to_dict_and_flatten() -> None:
    scopes = Scopes(
        read_runs=["run_1", "run_2"],
        read_tags="user:9",
        read_batch=True,
        trigger_tasks="my-task",
        batch_trigger_tasks=("a", "b"),
        write_input_streams=["run_1"],
    )
    assert scopes.to_dict() == {
        "read": {"runs": ["run_1", "run_2"], "tags": ["user:9"], "batch": True},
        "write": {"inputStreams": ["run_1"]},
        "trigger": {"tasks": ["my-task"]},
        "batchTrigger": {"tasks": ["a", "b"]},
    }
    assert scopes.flatten() == [
        "read:runs:run_1",
        "read:runs:run_2",
        "read:tags:user:9",
        "read:batch",
        "write:inputStreams:run_1",
        "trigger:tasks:my-task",
        "batchTrigger:tasks:a",
        "batchTrigger:tasks:b",
    ]
    assert flatten_scopes(scopes) == scopes.flatten()
    assert flatten_scopes(scopes.to_dict()) == scopes.flatten()


@pytest.mark.parametrize(
    ("scopes", "expected"),
    [
        (Scopes(), []),
        (Scopes(read_runs=True), ["read:runs"]),
        (Scopes(read_tasks="t", read_waitpoints=True), ["read:tasks:t", "read:waitpoints"]),
        (
            Scopes(write_runs="r", write_tasks=["t"], write_waitpoints="w"),
            ["write:runs:r", "write:tasks:t", "write:waitpoints:w"],
        ),
        (Scopes(read_runs=False, read_tags=[], read_batch=None), []),
        (Scopes.read_run("run_1234"), ["read:runs:run_1234"]),
        (Scopes.read_run("run_1", "run_2"), ["read:runs:run_1", "read:runs:run_2"]),
        (Scopes.read_all_runs(), ["read:runs"]),
        (Scopes.read_tag("user:9", "org:1"), ["read:tags:user:9", "read:tags:org:1"]),
        (Scopes.read_batch_runs("batch_1"), ["read:batch:batch_1"]),
        (Scopes.trigger_task("t1", "t2"), ["trigger:tasks:t1", "trigger:tasks:t2"]),
        (Scopes.batch_trigger_task("t1"), ["batchTrigger:tasks:t1"]),
        # a field order that differs from the argument order: the output order is fixed
        (
            Scopes(batch_trigger_tasks="b", read_runs="r"),
            ["read:runs:r", "batchTrigger:tasks:b"],
        ),
    ],
)
def test_builder_forms(scopes: Scopes, expected: list[str]) -> None:
    assert scopes.flatten() == expected
    assert flatten_scopes(scopes.to_dict()) == expected


def test_builder_normalises_and_is_frozen_and_hashable() -> None:
    a = Scopes(read_runs="run_1", read_tags=[], write_runs=False)
    assert a.read_runs == ("run_1",)
    assert a.read_tags is None and a.write_runs is None
    assert a == Scopes(read_runs=["run_1"])
    assert hash(a) == hash(Scopes(read_runs=("run_1",)))
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        a.read_runs = ("x",)  # type: ignore[misc]
    assert Scopes().to_dict() == {}


def test_builder_rejects_bad_values() -> None:
    with pytest.raises(ValueError, match="empty id"):
        Scopes(read_runs="")
    with pytest.raises(ValueError, match="empty id"):
        Scopes.read_run("")
    with pytest.raises(TypeError, match="not int"):
        Scopes(read_runs=[1])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="not int"):
        Scopes(read_runs=3)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Scopes("run_1")  # type: ignore[call-arg]  # keyword-only


def test_builder_union() -> None:
    merged = Scopes.read_run("a", "b") | Scopes.read_run("b", "c") | Scopes.trigger_task("t")
    assert merged.flatten() == ["read:runs:a", "read:runs:b", "read:runs:c", "trigger:tasks:t"]
    assert (Scopes.read_run("a") | Scopes.read_all_runs()).flatten() == ["read:runs"]
    assert (Scopes() | Scopes()) == Scopes()
    with pytest.raises(TypeError):
        Scopes() | {"read": {"runs": True}}  # type: ignore[operator]


# ---------------------------------------------------------------------------------------------
# matching (4.3) and the realtime endpoints (4.4)


@pytest.mark.parametrize(
    ("scope", "parsed"),
    [
        ("read:runs:run_1", ("read", "runs", "run_1")),
        ("read:tags:env:staging", ("read", "tags", "env:staging")),
        ("read:runs", ("read", "runs", None)),
        ("admin", ("admin", None, None)),
        ("read:runs:", ("read", "runs", "")),
    ],
)
def test_parse_scope(scope: str, parsed: tuple[str, str | None, str | None]) -> None:
    assert parse_scope(scope) == parsed


@pytest.mark.parametrize(
    ("granted", "action", "resource_type", "resource_id", "allowed"),
    [
        # rule 1: exactly "admin" matches everything; admin:<type> is not a wildcard
        (["admin"], "read", "runs", "run_1", True),
        (["admin"], "write", "anything", None, True),
        (["admin:runs"], "read", "runs", "run_1", False),
        (["admin:all"], "read", "runs", "run_1", False),
        # rule 2: action equal, or "*"
        (["read:runs:run_1"], "read", "runs", "run_1", True),
        (["write:runs:run_1"], "read", "runs", "run_1", False),
        (["*:runs:run_1"], "write", "runs", "run_1", True),
        (["*:runs"], "read", "runs", None, True),
        # rule 3: type "all"
        (["read:all"], "read", "tags", "x", True),
        (["read:all"], "write", "runs", "run_1", False),
        (["*:all"], "batchTrigger", "tasks", "t", True),
        # rule 4: type equal
        (["read:tasks:run_1"], "read", "runs", "run_1", False),
        # rule 5: an id-less scope matches any id, and a request without an id
        (["read:runs"], "read", "runs", "run_9", True),
        (["read:runs"], "read", "runs", None, True),
        # rule 6: an id matches exactly that id; a request without an id does not match it
        (["read:runs:run_1"], "read", "runs", "run_2", False),
        (["read:runs:run_1"], "read", "runs", None, False),
        (["read:runs:run_1"], "read", "runs", "RUN_1", False),
        (["read:tags:env:staging"], "read", "tags", "env:staging", True),
        (["read:tags:env:staging"], "read", "tags", "env", False),
        # an empty grant allows nothing; a bare action is not a scope
        ([], "read", "runs", None, False),
        (["read"], "read", "runs", None, False),
        # any one of several
        (["write:runs", "read:batch:b", "read:runs:run_1"], "read", "runs", "run_1", True),
    ],
)
def test_scope_allows(
    granted: list[str], action: str, resource_type: str, resource_id: str | None, allowed: bool
) -> None:
    assert scope_allows(granted, action, resource_type, resource_id) is allowed


def _single_run(granted: list[str]) -> bool:
    """/realtime/v1/runs/run_1 of task my-task, tags user:9 and org:1, in batch batch_1."""
    resources = [("runs", "run_1"), ("tasks", "my-task"), ("tags", "user:9"), ("tags", "org:1")]
    resources.append(("batch", "batch_1"))
    return any(scope_allows(granted, "read", t, i) for t, i in resources)


def _tag_feed(granted: list[str], tags: list[str]) -> bool:
    """/realtime/v1/runs?tags=...: runs (no id), tags (no id), or tags:<a requested tag>."""
    resources: list[tuple[str, str | None]] = [("runs", None), ("tags", None)]
    resources += [("tags", t) for t in tags]
    return any(scope_allows(granted, "read", t, i) for t, i in resources)


def _batch_feed(granted: list[str]) -> bool:
    """/realtime/v1/batches/batch_1: batch:<id> or runs (no id)."""
    return scope_allows(granted, "read", "batch", "batch_1") or scope_allows(
        granted, "read", "runs", None
    )


@pytest.mark.parametrize(
    "scope",
    [
        "read:runs:run_1",
        "read:runs",
        "read:tasks:my-task",
        "read:tasks",
        "read:tags:user:9",
        "read:batch:batch_1",
        "read:all",
        "*:all",
        "admin",
    ],
)
def test_single_run_endpoint_opens(scope: str) -> None:
    assert _single_run([scope])


@pytest.mark.parametrize(
    "scope", ["read:runs:run_2", "read:tasks:other", "read:tags:user:1", "write:runs", "admin:runs"]
)
def test_single_run_endpoint_stays_closed(scope: str) -> None:
    assert not _single_run([scope])


@pytest.mark.parametrize(
    ("scope", "allowed"),
    [
        ("read:runs", True),
        ("read:tags", True),
        ("read:tags:a", True),  # one of the requested tags is enough
        ("read:all", True),
        ("*:all", True),
        ("admin", True),
        ("read:runs:run_x", False),
        ("read:tasks:my-task", False),
        ("read:tasks", False),
        ("read:tags:c", False),
    ],
)
def test_tag_feed(scope: str, allowed: bool) -> None:
    assert _tag_feed([scope], ["a", "b"]) is allowed


@pytest.mark.parametrize(
    ("scope", "allowed"),
    [
        ("read:batch:batch_1", True),
        ("read:batch", True),
        ("read:runs", True),
        ("read:all", True),
        ("*:all", True),
        ("admin", True),
        ("read:batch:batch_2", False),
        ("read:runs:run_1", False),
    ],
)
def test_batch_feed(scope: str, allowed: bool) -> None:
    assert _batch_feed([scope]) is allowed


# ---------------------------------------------------------------------------------------------
# properties

_names = st.text(st.characters(exclude_characters=":", exclude_categories=["Cs"]), min_size=1)
_ids = st.text(st.characters(exclude_categories=["Cs"]), min_size=1)
_values = st.one_of(
    st.none(), st.booleans(), _ids, st.lists(_ids, max_size=4), st.tuples(_ids, _ids)
)
_scope_dicts = st.dictionaries(
    _names,
    st.one_of(st.none(), st.just(False), st.dictionaries(_names, _values, max_size=5)),
    max_size=5,
)


def _reference(scopes: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    """A second, plainer reading of the flattening rules."""
    out: list[tuple[str, str, str | None]] = []
    for action, resources in scopes.items():
        for resource, value in (resources or {}).items():
            if value is True:
                out.append((action, resource, None))
            elif isinstance(value, str):
                out.append((action, resource, value))
            elif isinstance(value, list | tuple):
                out.extend((action, resource, item) for item in value)
    return out


@given(_scope_dicts)
def test_flatten_matches_reference_and_parses_back(scopes: dict[str, Any]) -> None:
    flat = flatten_scopes(scopes)
    expected = _reference(scopes)
    assert [parse_scope(s) for s in flat] == expected
    for action, resource, item in expected:
        # every minted scope grants exactly what it names
        assert scope_allows(flat, action, resource, item)


_builder_values = st.one_of(st.none(), st.just(True), _ids, st.lists(_ids, max_size=3))
_builder_kwargs = st.fixed_dictionaries(
    {},
    optional={name: _builder_values for name in (f.name for f in attrs.fields(Scopes))},
)


@given(_builder_kwargs)
def test_builder_round_trips(kwargs: dict[str, Any]) -> None:
    scopes = Scopes(**kwargs)
    assert flatten_scopes(scopes.to_dict()) == scopes.flatten()
    assert Scopes(**kwargs) == scopes
    for action, resource, item in (parse_scope(s) for s in scopes.flatten()):
        assert resource is not None
        assert scope_allows(scopes.flatten(), action, resource, item)
