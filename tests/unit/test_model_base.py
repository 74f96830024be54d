"""The generated models' repr, equality and hash (``trigger_client._model.Model``) are what attrs
would compile for each class; the shared converter and the per-class field tables are made once
even when threads race to use them first."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest

from trigger_client import _model, _serde
from trigger_client._generated import models, rest_models
from trigger_client._generated.models import Run, RunStatus, SerializedError

MODELS = [
    obj
    for module in (models, rest_models)
    for obj in vars(module).values()
    if isinstance(obj, type) and attrs.has(obj) and obj.__module__ == module.__name__
]


def test_both_generated_modules_hold_models() -> None:
    names = {cls.__name__ for cls in MODELS}
    assert {"Run", "RunShapeRow", "SerializedError", "TaskRunError"} <= names
    assert {"ListRunItem", "RetrieveRunResponse", "TriggerTaskRequest", "ApiErrorBody"} <= names
    assert len(MODELS) == len(names) == 28


def _run(**changes: Any) -> Run:
    values: dict[str, Any] = {
        "id": "run_1",
        "task_identifier": "t",
        "payload": {"a": [1, 2.5, None]},
        "created_at": datetime(2024, 10, 9, 12, 34, 56, 789000, tzinfo=UTC),
        "updated_at": datetime(2024, 10, 9, 12, 35, tzinfo=UTC),
        "number": 7,
        "status": RunStatus.EXECUTING,
        "duration_ms": 1200,
        "cost_in_cents": 0.5,
        "base_cost_in_cents": 0.25,
        "tags": ["user:1"],
        "is_test": False,
        "error": SerializedError(message="boom", stack_trace="at x"),
    }
    values.update(changes)
    return Run(**values)


def _attrs_twin(cls: type) -> type:
    """The same fields, with attrs's own compiled repr, eq and hash."""
    fields = {
        a.name: attrs.field(default=a.default, kw_only=True)
        if a.default is not attrs.NOTHING
        else attrs.field(kw_only=True)
        for a in attrs.fields(cls)
    }
    return attrs.make_class(cls.__name__, fields, frozen=True)


def _twin_of(obj: Any) -> Any:
    return _attrs_twin(type(obj))(**{a.name: getattr(obj, a.name) for a in attrs.fields(type(obj))})


def test_every_generated_model_uses_the_shared_methods() -> None:
    assert len(MODELS) > 20
    for cls in MODELS:
        assert issubclass(cls, _model.Model)
        for name in ("__repr__", "__eq__", "__hash__"):
            assert getattr(cls, name) is getattr(_model.Model, name), (cls, name)
        assert not hasattr(_run(), "__dict__")  # still slotted


@pytest.mark.parametrize(
    "obj",
    [
        _run(),
        _run(error=None, tags=[], payload="x'y\"z"),
        SerializedError(message="m"),
        rest_models.Pagination(),
        models.TaskRunError(type=models.TaskRunErrorType.CUSTOM_ERROR, raw="r"),
    ],
)
def test_repr_is_attrs_repr(obj: Any) -> None:
    twin = _twin_of(obj)
    assert repr(obj) == repr(twin)
    assert repr(obj).startswith(type(obj).__name__ + "(")


def test_equality_is_by_class_and_every_field() -> None:
    run = _run()
    assert run == _run() and not (run != _run())
    assert run == attrs.evolve(run)
    for a in attrs.fields(Run):
        other = attrs.evolve(run, **{a.name: "different"})
        assert run != other and not (run == other), a.name
        assert (run == other) == (_twin_of(run) == _twin_of(other))
    # another class with the same fields is never equal, as with attrs
    twin = _twin_of(run)
    assert run != twin and twin != run
    assert run.__eq__(twin) is NotImplemented
    assert SerializedError(message="m") != rest_models.Pagination()


def test_hash_follows_equality() -> None:
    a = SerializedError(message="m", name="E")
    b = SerializedError(message="m", name="E")
    assert hash(a) == hash(b) and {a, b} == {a}
    assert hash(a) != hash(SerializedError(message="m", name="F"))
    assert rest_models.Pagination() in {rest_models.Pagination()}
    with pytest.raises(TypeError, match="unhashable"):
        hash(_run())  # a list field, as with attrs
    with pytest.raises(TypeError, match="unhashable"):
        hash(_twin_of(_run()))


def _race(first_use: Callable[[], Any], threads: int = 8) -> list[Any]:
    """``first_use`` called from ``threads`` threads released at once; their results."""
    barrier = threading.Barrier(threads)
    results: list[Any] = [None] * threads

    def work(i: int) -> None:
        barrier.wait()
        results[i] = first_use()

    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(10)
    assert not any(w.is_alive() for w in workers)
    return results


def test_threads_racing_the_first_converter_get_the_same_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_serde, "_converters", {})
    made: list[bool] = []
    real = _serde.make_converter

    def counting(*, strict: bool = False) -> Any:
        made.append(strict)
        return real(strict=strict)

    monkeypatch.setattr(_serde, "make_converter", counting)
    converters = _race(_serde.get_converter)
    assert made == [False]
    assert all(c is converters[0] for c in converters)
    assert _serde.get_converter(strict=True) is not converters[0]
    assert made == [False, True]


def test_threads_racing_the_first_comparison_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_model, "_fields", {})
    run = _run()
    results = _race(lambda: (run == _run(), repr(run), run != _run(number=8)))
    assert all(r == (True, repr(_twin_of(run)), True) for r in results)
    assert set(_model._fields) == {Run, SerializedError}  # the run and its error
