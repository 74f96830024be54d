"""The protocol records written out as plain slotted classes (not attrs, whose class building a
subscription would pay at import) behave as the attrs classes they replaced: fields from the
constructor, immutability, equality and hashing by fields, and a repr that names every field. The
two mutable ones (``Reachability``, ``NotFoundWindow``: one feed's own state) compare by identity."""

from __future__ import annotations

from typing import Any

import pytest

from trigger_client._protocol.packets import StoreReference
from trigger_client._protocol.reachability import WARN_INTERVAL, FailureDecision, Reachability
from trigger_client._protocol.server_rules import NOT_FOUND_RETRY_SECONDS, NotFoundWindow
from trigger_client._protocol.shape_log import ShapeBatch, ShapeRequest
from trigger_client._protocol.superjson import _Record, _Tree

PARAMS = (("handle", "h1"), ("offset", "0_0"))
ROW: dict[str, Any] = {"id": "run_1", "status": "EXECUTING"}


# (a record, the same fields in a second instance, one instance per field that differs)
CASES: list[tuple[object, object, list[object]]] = [
    (
        ShapeRequest(params=PARAMS, live=True),
        ShapeRequest(PARAMS, True),
        [ShapeRequest(params=PARAMS[:1], live=True), ShapeRequest(params=PARAMS, live=False)],
    ),
    (
        ShapeBatch(up_to_date=True, deleted_keys=("k",)),
        ShapeBatch(rows=(), up_to_date=True, must_refetch=False, stale=False, deleted_keys=("k",)),
        [
            ShapeBatch(rows=((),), up_to_date=True, deleted_keys=("k",)),  # type: ignore[arg-type]
            ShapeBatch(up_to_date=False, deleted_keys=("k",)),
            ShapeBatch(up_to_date=True, must_refetch=True, deleted_keys=("k",)),
            ShapeBatch(up_to_date=True, stale=True, deleted_keys=("k",)),
            ShapeBatch(up_to_date=True, deleted_keys=()),
        ],
    ),
    (
        FailureDecision(give_up=True, warn=False),
        FailureDecision(warn=False, give_up=True),
        [FailureDecision(give_up=False, warn=False), FailureDecision(give_up=True, warn=True)],
    ),
    (
        StoreReference(path="run_1/payload.json"),
        StoreReference("run_1/payload.json"),
        [StoreReference(path="run_1/output.json")],
    ),
    (
        _Tree("Error", ((("cause",), _Tree("bigint")),)),
        _Tree(kind="Error", children=((("cause",), _Tree(kind="bigint", children=())),)),
        [_Tree("Date", ((("cause",), _Tree("bigint")),)), _Tree("Error")],
    ),
    (
        _Record(((("a", "0"), _Tree("Date")),)),
        _Record(children=((("a", "0"), _Tree("Date")),)),
        [_Record(((("a", "1"), _Tree("Date")),))],
    ),
]
IDS = ["ShapeRequest", "ShapeBatch", "FailureDecision", "StoreReference", "_Tree", "_Record"]


@pytest.mark.parametrize(("record", "same", "others"), CASES, ids=IDS)
def test_equal_and_hashed_by_every_field(
    record: object, same: object, others: list[object]
) -> None:
    assert record == same and same == record
    assert not record != same
    assert hash(record) == hash(same)
    for other in others:  # each differs from ``record`` in one field
        assert record != other and other != record
        assert not record == other
        assert hash(record) != hash(other)
    assert len({record, same, *others}) == 1 + len(others)


@pytest.mark.parametrize(("record", "same", "others"), CASES, ids=IDS)
def test_not_equal_to_other_types(record: object, same: object, others: list[object]) -> None:
    fields = tuple(getattr(record, name) for name in type(record).__slots__)  # type: ignore[attr-defined]
    assert record.__eq__(fields) is NotImplemented
    assert record != fields and record != object() and record != None  # noqa: E711
    for a, b in zip(CASES, CASES[1:], strict=False):
        assert a[0] != b[0] and a[0].__eq__(b[0]) is NotImplemented


@pytest.mark.parametrize(("record", "same", "others"), CASES, ids=IDS)
def test_immutable_and_slotted(record: object, same: object, others: list[object]) -> None:
    name = type(record).__name__
    for field in type(record).__slots__:  # type: ignore[attr-defined]
        before = getattr(record, field)
        with pytest.raises(AttributeError, match=rf"^{name} is immutable: cannot set '{field}'$"):
            setattr(record, field, before)
        with pytest.raises(
            AttributeError, match=rf"^{name} is immutable: cannot delete '{field}'$"
        ):
            delattr(record, field)
        assert getattr(record, field) is before
    assert not hasattr(record, "__dict__")
    with pytest.raises(AttributeError):
        record.extra = 1  # type: ignore[attr-defined]


def test_reprs_name_every_field_and_evaluate_back() -> None:
    request = ShapeRequest(params=PARAMS, live=False)
    assert repr(request) == (
        "ShapeRequest(params=(('handle', 'h1'), ('offset', '0_0')), live=False)"
    )
    batch = ShapeBatch(rows=(ROW,), stale=True, deleted_keys=("k",))
    assert repr(batch) == (
        "ShapeBatch(rows=({'id': 'run_1', 'status': 'EXECUTING'},), up_to_date=False, "
        "must_refetch=False, stale=True, deleted_keys=('k',))"
    )
    decision = FailureDecision(give_up=False, warn=True)
    assert repr(decision) == "FailureDecision(give_up=False, warn=True)"
    reference = StoreReference(path="run_1/payload.json")
    assert repr(reference) == "StoreReference(path='run_1/payload.json')"
    tree = _Tree("Error", ((("cause",), _Tree("bigint")),))
    assert repr(tree) == (
        "_Tree(kind='Error', children=((('cause',), _Tree(kind='bigint', children=())),))"
    )
    annotated = _Record(((("a",), tree),))
    assert repr(annotated) == f"_Record(children=((('a',), {tree!r}),))"
    assert _Tree("x").children == ()
    for record in (request, batch, decision, reference, tree, annotated):
        assert eval(repr(record)) == record


def test_shape_batch_defaults_and_keyword_only() -> None:
    batch = ShapeBatch()
    assert (batch.rows, batch.deleted_keys) == ((), ())
    assert (batch.up_to_date, batch.must_refetch, batch.stale) == (False, False, False)
    with pytest.raises(TypeError):
        ShapeBatch((ROW,))  # type: ignore[misc]
    with pytest.raises(TypeError):
        FailureDecision(True, False)  # type: ignore[misc]


def test_a_shape_batch_holding_rows_is_not_hashable_as_with_attrs() -> None:
    assert ShapeBatch(rows=(ROW,)) == ShapeBatch(rows=(dict(ROW),))
    assert ShapeBatch(rows=(ROW,)) != ShapeBatch(rows=({"id": "run_2"},))
    assert ShapeBatch(rows=(ROW,)) != ShapeBatch()
    with pytest.raises(TypeError, match="unhashable type: 'dict'"):
        hash(ShapeBatch(rows=(ROW,)))
    assert hash(ShapeBatch()) == hash(ShapeBatch())


def test_reachability_starts_unreached_and_is_mutable_state() -> None:
    reach = Reachability(3)
    assert (reach.max_retries, reach.warn_interval) == (3, WARN_INTERVAL)
    assert (reach.reached, reach.failures, reach.last_warning) == (False, 0, None)
    assert Reachability(1, 5.0).warn_interval == 5.0
    assert Reachability(1, warn_interval=7.5).warn_interval == 7.5
    assert repr(reach) == (
        "Reachability(max_retries=3, warn_interval=60.0, reached=False, failures=0, "
        "last_warning=None)"
    )
    reach.failed(ConnectionRefusedError(), now=12.5)
    assert repr(reach) == (
        "Reachability(max_retries=3, warn_interval=60.0, reached=False, failures=1, "
        "last_warning=12.5)"
    )
    assert not hasattr(reach, "__dict__")
    # one feed's own state: two records are different objects, equal only to themselves
    assert reach == reach and Reachability(3) != Reachability(3)


def test_not_found_window_starts_unstarted_and_is_mutable_state() -> None:
    window = NotFoundWindow()
    assert window.seconds == NOT_FOUND_RETRY_SECONDS
    assert NotFoundWindow(2.5).seconds == NotFoundWindow(seconds=2.5).seconds == 2.5
    assert repr(NotFoundWindow(2.5)) == "NotFoundWindow(seconds=2.5, since=None)"
    window = NotFoundWindow(2.5)
    assert window.left(10.0) == 0.0
    assert window.allows_retry(10.0)
    assert repr(window) == "NotFoundWindow(seconds=2.5, since=10.0)"
    window.reset()
    assert repr(window) == "NotFoundWindow(seconds=2.5, since=None)"
    assert not hasattr(window, "__dict__")
    # one request's own state: two windows are different objects, equal only to themselves
    assert window == window and NotFoundWindow(1.0) != NotFoundWindow(1.0)
