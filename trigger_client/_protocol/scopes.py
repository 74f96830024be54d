"""Public-token scopes: flattening the nested form into scope strings, a typed builder, matching.

A scope string is ``action:type[:id]``, for example ``read:runs:run_1234``. Only the first two
colons separate fields, so an id may itself contain colons (``read:tags:user:9``). The official SDK
takes scopes as a nested mapping (``{"read": {"runs": ["run_1234"]}}``) and flattens it;
:func:`flatten_scopes` does exactly the same, in the same order, and :class:`Scopes` builds that
mapping with named, checked arguments. :func:`scope_allows` implements the server's matching rules,
for tests and for explaining a 403. Pure functions, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TypeAlias

import attrs

from .._exceptions import InvalidArgumentError

__all__ = [
    "KNOWN_ACTIONS",
    "KNOWN_TYPES",
    "ScopeMapping",
    "ScopeValue",
    "Scopes",
    "check_scope",
    "flatten_scopes",
    "parse_scope",
    "scope_allows",
]

#: A resource's value in the nested form: one id, several ids, ``True`` for every resource of the
#: type, ``False``/``None`` for nothing.
ScopeValue: TypeAlias = str | Sequence[str] | bool | None
#: The nested form the official SDK takes: ``{action: {resource type: value}}``.
#: (An action set to ``True`` gives the bare action, as the official SDK does at runtime.)
ScopeMapping: TypeAlias = Mapping[str, Mapping[str, ScopeValue] | bool | None]


def flatten_scopes(scopes: ScopeMapping | Scopes) -> list[str]:
    """The scope strings of a nested scope mapping, as the official SDK's ``flattenScopes``.

    For each ``action`` and each ``resource: value`` pair, in insertion order:

    - a string gives ``action:resource:value``;
    - a list (or tuple) gives one ``action:resource:item`` per item;
    - ``True`` gives ``action:resource`` (every resource of that type);
    - ``False`` and ``None`` give nothing.

    An action set to ``True`` instead of a mapping gives the bare ``action`` (so ``{"admin": True}``
    gives ``["admin"]``), as the official SDK does at runtime. ``{"read": {"runs": True}}`` gives
    ``["read:runs"]``.

    Raises ``TypeError`` for a value of another type (a number, a nested mapping, a non-string id)
    and ``ValueError`` for an empty id or an action or type name that is empty or holds a colon;
    the official SDK silently drops or mangles these.
    """
    if isinstance(scopes, Scopes):
        return scopes.flatten()
    if not isinstance(scopes, Mapping):
        raise TypeError(
            "scopes must be a mapping such as {'read': {'runs': ['run_1234']}} or a Scopes, "
            f"not {type(scopes).__name__}"
        )
    flat: list[str] = []
    for action, value in scopes.items():
        _check_name(action, "an action")
        resources: object = value
        if resources is None or resources is False:
            continue
        if resources is True:
            flat.append(action)
            continue
        if not isinstance(resources, Mapping):
            raise TypeError(
                f"scopes[{action!r}] must be a mapping of resource types to ids, such as "
                f"{{'runs': ['run_1234']}}, not {type(resources).__name__}"
            )
        for resource, ids in resources.items():
            _check_name(resource, f"a resource type of {action!r}")
            flat.extend(
                f"{action}:{resource}:{item}" if item is not None else f"{action}:{resource}"
                for item in _scope_items(ids, f"scopes[{action!r}][{resource!r}]")
            )
    return flat


def _check_name(name: object, what: str) -> None:
    if not isinstance(name, str):
        raise TypeError(f"{what} must be a string, not {type(name).__name__}")
    if not name or ":" in name:
        raise InvalidArgumentError(f"{what} must be a non-empty name without ':', not {name!r}")


def _scope_items(value: object, where: str) -> list[str | None]:
    """The ids of one resource value; ``[None]`` stands for the id-less ``action:resource``."""
    if value is None or value is False:
        return []
    if value is True:
        return [None]
    if isinstance(value, str):
        return [_check_id(value, where)]
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        return [_check_id(item, f"{where}[{i}]") for i, item in enumerate(value)]
    raise TypeError(
        f"{where} must be an id string, a list of ids, True or None, not {type(value).__name__}"
    )


def _check_id(item: object, where: str) -> str:
    if not isinstance(item, str):
        raise TypeError(f"{where} must be an id string, not {type(item).__name__}")
    if not item:
        raise InvalidArgumentError(
            f"{where} is an empty id (use True for every resource of the type)"
        )
    return item


# ---------------------------------------------------------------------------------------------
# the builder

_Normalized: TypeAlias = tuple[str, ...] | bool | None


def _normalize(argument: ScopeValue) -> _Normalized:
    """One builder argument as ``None``, ``True`` or a tuple of checked ids."""
    value: object = argument
    if value is None or value is False:
        return None
    if value is True:
        return True
    if isinstance(value, str):
        return (_check_id(value, "a scope id"),)
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        ids = tuple(_check_id(item, "a scope id") for item in value)
        return ids or None
    raise TypeError(
        f"a scope must be an id string, a list of ids, True or None, not {type(value).__name__}"
    )


# (attribute, action, resource type), in the order the nested mapping and the strings come out
_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("read_runs", "read", "runs"),
    ("read_tags", "read", "tags"),
    ("read_batch", "read", "batch"),
    ("read_tasks", "read", "tasks"),
    ("read_waitpoints", "read", "waitpoints"),
    ("write_runs", "write", "runs"),
    ("write_tasks", "write", "tasks"),
    ("write_waitpoints", "write", "waitpoints"),
    ("write_input_streams", "write", "inputStreams"),
    ("trigger_tasks", "trigger", "tasks"),
    ("batch_trigger_tasks", "batchTrigger", "tasks"),
)


@attrs.frozen
class Scopes:
    """The permissions of a public access token, with one checked argument per scope.

    Each argument takes one id, a list of ids, or ``True`` for every resource of that type::

        Scopes(read_runs=["run_1234"])              # read:runs:run_1234
        Scopes(read_tags="user:9", read_batch=True)  # read:tags:user:9, read:batch
        Scopes.read_run("run_1234") | Scopes.trigger_task("my-task")

    ``to_dict()`` gives the nested mapping the official SDK takes (``{"read": {"runs": [...]}}``)
    and ``flatten()`` the scope strings that go into the token. Ids are stored as tuples; ``False``
    and empty lists mean "not granted" and are stored as ``None``.
    """

    read_runs: _Normalized = attrs.field(default=None, converter=_normalize, kw_only=True)
    read_tags: _Normalized = attrs.field(default=None, converter=_normalize, kw_only=True)
    read_batch: _Normalized = attrs.field(default=None, converter=_normalize, kw_only=True)
    read_tasks: _Normalized = attrs.field(default=None, converter=_normalize, kw_only=True)
    read_waitpoints: _Normalized = attrs.field(default=None, converter=_normalize, kw_only=True)
    write_runs: _Normalized = attrs.field(default=None, converter=_normalize, kw_only=True)
    write_tasks: _Normalized = attrs.field(default=None, converter=_normalize, kw_only=True)
    write_waitpoints: _Normalized = attrs.field(default=None, converter=_normalize, kw_only=True)
    write_input_streams: _Normalized = attrs.field(default=None, converter=_normalize, kw_only=True)
    trigger_tasks: _Normalized = attrs.field(default=None, converter=_normalize, kw_only=True)
    batch_trigger_tasks: _Normalized = attrs.field(default=None, converter=_normalize, kw_only=True)

    # -- common cases ------------------------------------------------------------------------

    @classmethod
    def read_run(cls, run_id: str, *more_run_ids: str) -> Scopes:
        """Read (subscribe to, retrieve) these runs: ``read:runs:<id>``."""
        return cls(read_runs=(run_id, *more_run_ids))

    @classmethod
    def read_all_runs(cls) -> Scopes:
        """Read every run of the environment: ``read:runs``."""
        return cls(read_runs=True)

    @classmethod
    def read_tag(cls, tag: str, *more_tags: str) -> Scopes:
        """Read the runs carrying any of these tags: ``read:tags:<tag>``."""
        return cls(read_tags=(tag, *more_tags))

    @classmethod
    def read_batch_runs(cls, batch_id: str, *more_batch_ids: str) -> Scopes:
        """Read the runs of these batches: ``read:batch:<id>``."""
        return cls(read_batch=(batch_id, *more_batch_ids))

    @classmethod
    def trigger_task(cls, task_id: str, *more_task_ids: str) -> Scopes:
        """Trigger these tasks: ``trigger:tasks:<id>``."""
        return cls(trigger_tasks=(task_id, *more_task_ids))

    @classmethod
    def batch_trigger_task(cls, task_id: str, *more_task_ids: str) -> Scopes:
        """Batch-trigger these tasks: ``batchTrigger:tasks:<id>``."""
        return cls(batch_trigger_tasks=(task_id, *more_task_ids))

    # -- output ------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, dict[str, list[str] | bool]]:
        """The nested mapping the official SDK takes, without the scopes that are not granted."""
        nested: dict[str, dict[str, list[str] | bool]] = {}
        for attribute, action, resource in _FIELDS:
            value = getattr(self, attribute)
            if value is None:
                continue
            nested.setdefault(action, {})[resource] = True if value is True else list(value)
        return nested

    def flatten(self) -> list[str]:
        """The scope strings, in the order of ``to_dict()``."""
        return flatten_scopes(self.to_dict())

    def __or__(self, other: Scopes) -> Scopes:
        """Both sets of permissions: ids are joined (without repeats); ``True`` wins over ids."""
        if not isinstance(other, Scopes):
            return NotImplemented
        merged: dict[str, _Normalized] = {}
        for attribute, _, _ in _FIELDS:
            mine, theirs = getattr(self, attribute), getattr(other, attribute)
            if mine is True or theirs is True:
                merged[attribute] = True
            else:
                merged[attribute] = tuple(dict.fromkeys((*(mine or ()), *(theirs or ()))))
        return Scopes(**merged)


# ---------------------------------------------------------------------------------------------
# matching


def parse_scope(scope: str) -> tuple[str, str | None, str | None]:
    """``(action, type, id)`` of a scope string; only the first two colons separate fields.

    ``"read:tags:env:staging"`` -> ``("read", "tags", "env:staging")``; ``"read:runs"`` ->
    ``("read", "runs", None)``; ``"admin"`` -> ``("admin", None, None)``.
    """
    parts = scope.split(":", 2)
    action = parts[0]
    resource_type = parts[1] if len(parts) > 1 else None
    resource_id = parts[2] if len(parts) > 2 else None
    return action, resource_type, resource_id


def scope_allows(
    granted: Iterable[str], action: str, resource_type: str, resource_id: str | None = None
) -> bool:
    """Whether any of the ``granted`` scopes allows ``action`` on a resource, as the server decides.

    A scope matches when:

    1. it is exactly ``admin`` (it matches everything; ``admin:<type>`` is not a wildcard);
    2. otherwise its action equals ``action`` or is ``*``;
    3. and its type is ``all`` or equals ``resource_type``;
    4. and it has no id (it then covers every id of the type, and a request without an id), or
       its id equals ``resource_id`` exactly (a request without an id does not match it).

    An empty ``granted`` allows nothing.
    """
    for scope in granted:
        if scope == "admin":
            return True
        scope_action, scope_type, scope_id = parse_scope(scope)
        if scope_type is None:
            continue
        if scope_action not in (action, "*"):
            continue
        if scope_type not in (resource_type, "all"):
            continue
        if scope_id is None or (resource_id is not None and scope_id == resource_id):
            return True
    return False


#: The actions and resource types of the scopes the server matches (``scope_allows``): those of
#: ``Scopes``, and the wildcards ``*`` (any action) and ``all`` (any type).
KNOWN_ACTIONS: frozenset[str] = frozenset({action for _, action, _ in _FIELDS} | {"*"})
KNOWN_TYPES: frozenset[str] = frozenset({kind for _, _, kind in _FIELDS} | {"all"})


def check_scope(scope: str) -> tuple[str, str | None, str | None]:
    """``parse_scope`` of a scope string the server can match, else ``InvalidArgumentError``:
    ``admin``, or ``action:type`` or ``action:type:id`` with a known action and type."""
    text = scope.strip()
    if text == "admin":
        return "admin", None, None
    action, resource_type, resource_id = parse_scope(text)
    actions = ", ".join(sorted(KNOWN_ACTIONS))
    types = ", ".join(sorted(KNOWN_TYPES))
    if resource_type is None:
        raise InvalidArgumentError(
            f"not a scope: {scope!r}: expected action:type[:id] such as read:runs:run_1234, "
            "or admin"
        )
    if action not in KNOWN_ACTIONS:
        raise InvalidArgumentError(
            f"scope {scope!r} has the unknown action {action!r} (known: {actions})"
        )
    if resource_type not in KNOWN_TYPES:
        raise InvalidArgumentError(
            f"scope {scope!r} has the unknown resource type {resource_type!r} (known: {types})"
        )
    if resource_id is not None and not resource_id:
        raise InvalidArgumentError(f"scope {scope!r} has an empty id (leave out the last ':')")
    return action, resource_type, resource_id
