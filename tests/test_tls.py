"""TLS end to end over loopback: a throwaway CA, a TLS-terminating relay in front of the emulator,
and the CA trusted (or not) through ``SSL_CERT_FILE`` / ``SSL_CERT_DIR``, as httpx would.

Realtime subscriptions (over the SDK's own connections) and REST calls (over httpx) both verify
the server's certificate with the same context; an untrusted server is an ``APIConnectionError``.
"""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import pytest

from tests._async.test_realtime_connection import _follow as _follow_async
from tests._relay import Relay, relay_to
from tests._sync.test_realtime_connection import SUCCESS, _follow
from trigger_client import (
    APIConnectionError,
    APITimeoutError,
    AsyncTriggerClient,
    RunStatus,
    TriggerClient,
)
from trigger_client._async._realtime_senders import AsyncHttpcoreSender
from trigger_client._backends import _tls_context
from trigger_client._sync._realtime_senders import HttpcoreSender
from trigger_client.testing import TriggerEmulator

_ENV = (
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
)

pytestmark = pytest.mark.usefixtures("no_leaked_sockets")


# -- a throwaway CA and a server certificate for 127.0.0.1 / localhost -------------------------


@dataclass(frozen=True)
class Certs:
    ca: Path  # the CA certificate (PEM)
    ca_dir: Path  # a directory holding only the CA, as OpenSSL's hashed lookup wants it
    cert: Path  # the server's certificate (PEM)
    key: Path  # the server's key (PEM)

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context


_CA_CONFIG = """\
[req]
distinguished_name = dn
x509_extensions = v3_ca
prompt = no
[dn]
CN = trigger-client test CA
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
"""

_SERVER_EXTENSIONS = """\
[server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


def _openssl(*args: str | Path, cwd: Path) -> str:
    done = subprocess.run(
        ["openssl", *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=60
    )
    if done.returncode != 0:
        raise RuntimeError(f"openssl {args[0]} failed: {done.stderr.strip()}")
    return done.stdout


def _make_certs(directory: Path) -> Certs:
    if shutil.which("openssl") is None:
        if os.environ.get("CI"):  # .ci/run installs openssl: never skip there
            pytest.fail("the `openssl` command is missing in CI (.ci/run installs it)")
        pytest.skip("the `openssl` command is needed to make the test certificates")
    (directory / "ca.cnf").write_text(_CA_CONFIG)
    (directory / "server.ext").write_text(_SERVER_EXTENSIONS)
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    _openssl(
        "req", "-x509", *ec, "-config", "ca.cnf", "-days", "2",
        "-keyout", "ca.key", "-out", "ca.pem", cwd=directory,
    )  # fmt: skip
    _openssl(
        "req", "-new", *ec, "-config", "ca.cnf", "-subj", "/CN=localhost",
        "-keyout", "server.key", "-out", "server.csr", cwd=directory,
    )  # fmt: skip
    _openssl(
        "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-set_serial", "2", "-days", "2", "-extfile", "server.ext", "-extensions", "server",
        "-out", "server.pem", cwd=directory,
    )  # fmt: skip
    ca_dir = directory / "ca.d"
    ca_dir.mkdir()
    subject_hash = _openssl("x509", "-hash", "-noout", "-in", "ca.pem", cwd=directory).strip()
    shutil.copy(directory / "ca.pem", ca_dir / f"{subject_hash}.0")
    return Certs(directory / "ca.pem", ca_dir, directory / "server.pem", directory / "server.key")


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    return _make_certs(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def tls_relay(emulator: TriggerEmulator, certs: Certs) -> Iterator[Relay]:
    with relay_to(emulator.base_url, tls=certs.server_context()) as relay:
        yield relay


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No CA settings and no proxy from the environment: realtime requests take the SDK's own
    connections, and the default trust is certifi's bundle (which does not know the test CA)."""
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _connection_error(exc: BaseException) -> APIConnectionError:
    """The ``APIConnectionError`` a failure is (a REST call) or was caused by (a subscription,
    which retries connection errors until its deadline): a certificate error, not a timeout."""
    error = exc if isinstance(exc, APIConnectionError) else exc.__cause__
    assert isinstance(error, APIConnectionError), repr(exc)
    assert not isinstance(error, APITimeoutError), repr(error)
    chain: list[BaseException] = []
    link: BaseException | None = error
    while link is not None and len(chain) < 10:
        chain.append(link)
        link = link.__cause__ or link.__context__
    text = " | ".join(f"{type(e).__name__}: {e}" for e in chain)
    assert "CERTIFICATE_VERIFY_FAILED" in text or any(
        isinstance(e, ssl.SSLCertVerificationError) for e in chain
    ), text
    return error


# -- the TLS context follows the environment, like httpx's ------------------------------------


def test_the_context_follows_ssl_cert_file_and_dir(
    clean_env: pytest.MonkeyPatch, certs: Certs
) -> None:
    default = _tls_context()
    assert _tls_context() is default  # cached
    assert default.verify_mode == ssl.CERT_REQUIRED and default.check_hostname
    assert default.cert_store_stats()["x509_ca"] > 10  # certifi's bundle

    clean_env.setenv("SSL_CERT_FILE", str(certs.ca))
    from_file = _tls_context()
    assert from_file is not default and _tls_context() is from_file
    assert from_file.cert_store_stats()["x509_ca"] == 1  # only the file: no default certs added

    clean_env.setenv("SSL_CERT_DIR", str(certs.ca_dir))
    assert _tls_context() is from_file  # SSL_CERT_FILE wins, as in httpx

    clean_env.setenv("SSL_CERT_FILE", "")  # empty is unset, as in httpx
    from_dir = _tls_context()
    assert from_dir is not from_file and from_dir is not default
    assert from_dir.cert_store_stats()["x509_ca"] == 0  # a directory is read on demand

    clean_env.delenv("SSL_CERT_FILE")
    clean_env.delenv("SSL_CERT_DIR")
    assert _tls_context() is default


# -- the blocking client ---------------------------------------------------------------------


@pytest.mark.parametrize("trust", ["SSL_CERT_FILE", "SSL_CERT_DIR"])
def test_a_trusted_server_over_tls(
    emulator: TriggerEmulator,
    certs: Certs,
    tls_relay: Relay,
    clean_env: pytest.MonkeyPatch,
    trust: str,
) -> None:
    clean_env.setenv(trust, str(certs.ca if trust == "SSL_CERT_FILE" else certs.ca_dir))
    run_id = emulator.create_run("report", {"n": 1})
    assert tls_relay.url.startswith("https://127.0.0.1:")
    with TriggerClient(base_url=tls_relay.url, access_token=emulator.secret_key) as client:
        assert isinstance(client._transport.realtime_sender(), HttpcoreSender)
        assert _follow(client, emulator, run_id) == SUCCESS
        assert client.runs.retrieve(run_id).status == RunStatus.COMPLETED
    assert len(tls_relay.realtime_requests()) >= 3
    assert any(path.startswith("/api/v3/runs/") for path, _ in tls_relay.requests)
    assert tls_relay.handshake_failures == 0


def test_an_untrusted_server_is_a_connection_error(
    emulator: TriggerEmulator, tls_relay: Relay, clean_env: pytest.MonkeyPatch
) -> None:
    run_id = emulator.create_run("report", {"n": 1})
    started = time.monotonic()
    with TriggerClient(base_url=tls_relay.url, access_token=emulator.secret_key) as client:
        # Not retried (default max_retries), not waited on until a deadline (no timeout=): no
        # retry can make an untrusted certificate trusted.
        with pytest.raises(APIConnectionError, match="certificate is not trusted") as rest:
            client.runs.retrieve(run_id)
        _connection_error(rest.value)
        with pytest.raises(APIConnectionError, match="certificate is not trusted") as live:
            for _ in client.runs.subscribe_to_run(run_id):
                pytest.fail("a run came through an untrusted connection")
        _connection_error(live.value)
        with pytest.raises(APIConnectionError, match="certificate is not trusted"):
            for _ in client.runs.subscribe_to_run(run_id, feed="poll"):
                pytest.fail("a run came through an untrusted connection")
    assert time.monotonic() - started < 15  # failed at once, did not hang
    # one attempt each (REST, realtime, poll; retries would make 5 or more); the relay may not have
    # counted the last refused handshake yet
    assert 1 <= tls_relay.handshake_failures <= 3
    assert tls_relay.requests == []


# -- the async client, on asyncio and trio ---------------------------------------------------


@pytest.mark.anyio
async def test_a_trusted_server_over_tls_async(
    emulator: TriggerEmulator, certs: Certs, tls_relay: Relay, clean_env: pytest.MonkeyPatch
) -> None:
    clean_env.setenv("SSL_CERT_FILE", str(certs.ca))
    run_id = emulator.create_run("report", {"n": 1})
    with anyio.fail_after(60):
        async with AsyncTriggerClient(
            base_url=tls_relay.url, access_token=emulator.secret_key
        ) as client:
            assert isinstance(client._transport.realtime_sender(), AsyncHttpcoreSender)
            assert await _follow_async(client, emulator, run_id) == SUCCESS
            assert (await client.runs.retrieve(run_id)).status == RunStatus.COMPLETED
    assert len(tls_relay.realtime_requests()) >= 3
    assert any(path.startswith("/api/v3/runs/") for path, _ in tls_relay.requests)
    assert tls_relay.handshake_failures == 0


@pytest.mark.anyio
async def test_an_untrusted_server_is_a_connection_error_async(
    emulator: TriggerEmulator, tls_relay: Relay, clean_env: pytest.MonkeyPatch
) -> None:
    run_id = emulator.create_run("report", {"n": 1})
    with anyio.fail_after(15):  # failed, did not hang
        async with AsyncTriggerClient(
            base_url=tls_relay.url, access_token=emulator.secret_key
        ) as client:
            with pytest.raises(APIConnectionError, match="certificate is not trusted") as rest:
                await client.runs.retrieve(run_id)
            _connection_error(rest.value)
            with pytest.raises(APIConnectionError, match="certificate is not trusted") as live:
                async for _ in client.runs.subscribe_to_run(run_id):
                    pytest.fail("a run came through an untrusted connection")
            _connection_error(live.value)
    assert 1 <= tls_relay.handshake_failures <= 2  # one attempt each, no retries
    assert tls_relay.requests == []
