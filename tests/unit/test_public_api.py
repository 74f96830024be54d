"""The package's public names: exactly ``__all__``; ``configure`` takes ``TriggerClient``'s
arguments; the module-level ``runs``, ``tasks`` and ``auth`` forward to the default client."""

from __future__ import annotations

import inspect
from collections.abc import Iterator

import pytest

import trigger_client
from trigger_client import TriggerClient
from trigger_client._sync._auth import AuthResource
from trigger_client._sync._resources import RunsResource
from trigger_client._sync._tasks import TasksResource


@pytest.fixture
def restore_default_client() -> Iterator[None]:
    from trigger_client import _default

    previous = _default._client
    _default._client = None
    yield
    if _default._client is not None:
        _default._client.close()
    _default._client = previous


def test_dir_lists_exactly_the_public_names() -> None:
    assert dir(trigger_client) == sorted(trigger_client.__all__)
    assert len(set(trigger_client.__all__)) == len(trigger_client.__all__)
    for name in ("Any", "TYPE_CHECKING", "annotations", "importlib", "cast"):
        assert name not in dir(trigger_client)


def test_configure_takes_the_clients_arguments_with_its_defaults() -> None:
    client_parameters = [
        parameter
        for name, parameter in inspect.signature(TriggerClient).parameters.items()
        if not name.startswith("_")
    ]
    configure_parameters = list(inspect.signature(trigger_client.configure).parameters.values())
    assert configure_parameters == client_parameters


def test_configure_replaces_the_default_client(restore_default_client: None) -> None:
    first = trigger_client.configure(access_token="tr_dev_one", base_url="http://one.invalid")
    assert trigger_client._default.default_client() is first
    second = trigger_client.configure(
        access_token="tr_dev_two", base_url="http://two.invalid/", max_retries=0, branch="preview"
    )
    assert trigger_client._default.default_client() is second
    assert second.base_url == "http://two.invalid"
    assert second._max_retries == 0
    assert second._branch == "preview"
    assert first._transport.http_stack.http_client.is_closed  # the replaced client was closed


@pytest.mark.parametrize(
    ("name", "kind"), [("runs", RunsResource), ("tasks", TasksResource), ("auth", AuthResource)]
)
def test_module_level_resources_forward_to_the_current_default_client(
    restore_default_client: None, name: str, kind: type
) -> None:
    proxy = getattr(trigger_client, name)
    first = trigger_client.configure(access_token="tr_dev_one", base_url="http://one.invalid")
    method = next(attribute for attribute in dir(kind) if not attribute.startswith("_"))
    bound = getattr(proxy, method)
    assert bound.__self__ is getattr(first, name)
    assert isinstance(bound.__self__, kind)
    second = trigger_client.configure(access_token="tr_dev_two", base_url="http://two.invalid")
    assert getattr(proxy, method).__self__ is getattr(second, name)
    assert repr(proxy) == f"<default client .{name}>"
