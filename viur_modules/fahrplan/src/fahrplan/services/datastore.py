"""
A deadline and the circuit breaker for every datastore call of the instance.

**Why here.** viur-core's ``viur.core.db`` calls one process-wide ``google.cloud.datastore.Client``
(``viur.core.db.transport.__client__``) without ``timeout`` or ``retry``. The client forwards both only when they
are given, so the generated gRPC client (``datastore_v1/services/datastore/transports/base.py``) applies its
defaults: 60 s per attempt, and retries of ``DeadlineExceeded``/``ServiceUnavailable`` for up to 60 s. A paused
datastore held each thread about a minute per call, an unreachable one 50 s of reconnect attempts; with four
threads, every request (cached pages and static files too) queued behind them.

Every RPC the client makes goes through one object, ``client._datastore_api``: ``lookup``, ``run_query``,
``run_aggregation_query``, ``begin_transaction``, ``commit``, ``rollback``, ``allocate_ids``, ``reserve_ids``,
for the gRPC and the HTTP transport alike. :func:`install` puts :class:`GuardedDatastoreApi` there. That is the
one depth every call passes, with its final request: viur-core's ``db.get``/``put``/``delete``, queries and
counts (``Query.fetch`` and ``AggregationQuery.fetch`` call the API themselves), transactions (``Batch.commit``,
``Transaction.begin``), sessions, start-up tasks and the package's services. A default on viur-core's functions
or on the ``Client`` methods would miss the query iterators and transactions, and a default on the gRPC stubs
would not exist for the HTTP transport. The wrapper

- gives each call a deadline (``conf.fahrplan.datastore_read_seconds`` for reads and
  ``datastore_write_seconds`` for writes while answering a request, ``datastore_background_seconds`` outside
  one) and passes it as the call's ``timeout`` with ``retry=None``, so the library's own 60-second retry never
  runs;
- retries a read that found the datastore unreachable, with a short backoff, but never past the deadline
  (writes get one attempt: a commit is not always idempotent);
- asks :data:`breaker` before the call and tells it the outcome (see :mod:`fahrplan.services.breaker`);
- raises :class:`~fahrplan.types.DatastoreUnavailable` for timeouts and unreachability, whatever the transport.

The gRPC channel is built again with a reconnect backoff of at most one second: gRPC's default grows to two
minutes after failed connection attempts, so an instance would have kept answering 503 for that long after the
datastore came back.
"""

import logging
import time
import typing as t
import urllib.parse

import requests
from google.api_core import exceptions as api_exceptions
from viur.core import conf, current

from ..config import FahrplanConfig
from ..types import DatastoreUnavailable
from .breaker import CircuitBreaker

READS = frozenset({"lookup", "run_query", "run_aggregation_query"})
"""API methods that only read (retried within their deadline when the datastore is unreachable)."""

WRITES = frozenset({"begin_transaction", "commit", "rollback", "allocate_ids", "reserve_ids"})
"""API methods that write or belong to a write (one attempt within their deadline)."""

RECONNECT_OPTIONS = (
    ("grpc.initial_reconnect_backoff_ms", 200),
    ("grpc.min_reconnect_backoff_ms", 200),
    ("grpc.max_reconnect_backoff_ms", 1000),
)
"""gRPC channel options: try to reconnect at least once a second (the default backs off to 120 s)."""

breaker = CircuitBreaker()
"""The instance's datastore circuit breaker (:func:`install` sets its cool-down)."""


def settings() -> FahrplanConfig:
    """The host's ``conf.fahrplan``, or the defaults before the host configured it."""
    return getattr(conf, "fahrplan", None) or FahrplanConfig()


def deadline(method: str) -> float:
    """Seconds one call of the API ``method`` may take, retries included."""
    config = settings()
    request = current.request.get()
    if request is None or getattr(request, "is_deferred", False):
        return config.datastore_background_seconds
    return config.datastore_write_seconds if method in WRITES else config.datastore_read_seconds


def outage(exc: BaseException) -> tuple[str, bool] | None:
    """
    Whether ``exc`` means the datastore did not answer: ``(reason, worth_retrying)``, or None for an answer.

    gRPC raises ``google.api_core`` exceptions, the HTTP transport those of ``requests``.
    """
    if isinstance(exc, (api_exceptions.DeadlineExceeded, requests.Timeout)):
        return f"no answer within the deadline ({type(exc).__name__})", False
    if isinstance(exc, (api_exceptions.ServiceUnavailable, requests.ConnectionError)):
        return f"unreachable ({type(exc).__name__}: {str(exc)[:200]})", True
    if isinstance(exc, api_exceptions.RetryError):
        return f"gave up retrying ({str(exc)[:200]})", False
    return None


def caused_by_outage(exc: BaseException | None) -> bool:
    """
    Whether ``exc`` is, was raised from, or was raised while handling a :class:`DatastoreUnavailable`.

    Only the guard's own exception counts: every call of viur-core's client raises it on an outage, and a timeout
    of another service (mail, storage, an outbound request) is no reason to blame the database.
    """
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, DatastoreUnavailable):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


class GuardedDatastoreApi:
    """The datastore API of a client with a deadline and the circuit breaker on every call (see the module)."""

    def __init__(self, api: t.Any, circuit: CircuitBreaker = breaker, sleep: t.Callable[[float], None] = time.sleep):
        self.api = api
        self.circuit = circuit
        self.sleep = sleep

    def __getattr__(self, name: str) -> t.Any:
        attribute = getattr(self.api, name)
        if name not in READS and name not in WRITES:
            return attribute

        def guarded(*args: t.Any, **kwargs: t.Any) -> t.Any:
            return self.call(name, attribute, args, kwargs)

        return guarded

    def call(self, name: str, method: t.Callable, args: tuple, kwargs: dict[str, t.Any]) -> t.Any:
        """Run one API call within its deadline (``timeout`` given by the caller only shortens it)."""
        self.circuit.before_call()
        asked = kwargs.pop("timeout", None)
        kwargs.pop("retry", None)
        budget = deadline(name)
        if isinstance(asked, (int, float)):
            budget = min(budget, asked)
        end = time.monotonic() + budget
        pause = 0.1
        while True:
            remaining = max(0.05, end - time.monotonic())
            try:
                result = method(*args, **kwargs, timeout=remaining, retry=None)
            except Exception as exc:
                found = outage(exc)
                if found is None:
                    self.circuit.succeeded()  # an error answer is an answer: the datastore is reachable
                    raise
                reason, worth_retrying = found
                if worth_retrying and name in READS and time.monotonic() + pause < end:
                    self.sleep(pause)
                    pause = min(1.0, pause * 2)
                    continue
                self.circuit.failed(f"{name}: {reason}")
                raise DatastoreUnavailable(f"datastore {name} failed: {reason}") from exc
            except BaseException:  # interrupted (worker timeout, shutdown): no answer; never leave a probe pending
                self.circuit.failed(f"{name}: interrupted")
                raise
            self.circuit.succeeded()
            return result


def grpc_api(client: t.Any) -> t.Any:
    """The generated gRPC datastore API for ``client``, on a channel with :data:`RECONNECT_OPTIONS`
    (what ``google.cloud.datastore._gapic.make_datastore_api`` builds, plus the options)."""
    import grpc
    from google.cloud._helpers import make_secure_channel
    from google.cloud._http import DEFAULT_USER_AGENT
    from google.cloud.datastore_v1.services.datastore import client as datastore_client
    from google.cloud.datastore_v1.services.datastore.transports import grpc as grpc_transport

    url = urllib.parse.urlparse(client._base_url)
    if url.scheme == "https":
        channel = make_secure_channel(client._credentials, DEFAULT_USER_AGENT, url.netloc, RECONNECT_OPTIONS)
    else:
        channel = grpc.insecure_channel(url.netloc, options=RECONNECT_OPTIONS)
    transport = grpc_transport.DatastoreGrpcTransport(channel=channel)
    return datastore_client.DatastoreClient(transport=transport, client_info=client._client_info)


def install(client: t.Any = None) -> GuardedDatastoreApi:
    """
    Guard every call of ``client`` (default: viur-core's process-wide client); idempotent.

    Sets the client's API object (``_datastore_api_internal``, what its ``_datastore_api`` property returns), and
    the breaker's cool-down from ``conf.fahrplan`` (the host configures it before it imports the modules).
    """
    breaker.cooldown = settings().datastore_cooldown_seconds
    if client is None:
        from viur.core.db import transport

        client = transport.__client__
    current_api = client._datastore_api_internal
    if isinstance(current_api, GuardedDatastoreApi):
        return current_api
    if client._use_grpc:
        api = grpc_api(client)
    else:
        from google.cloud.datastore._http import HTTPDatastoreAPI

        api = HTTPDatastoreAPI(client)
    client._datastore_api_internal = guarded = GuardedDatastoreApi(api)
    logging.debug("datastore calls guarded: deadlines and circuit breaker installed")
    return guarded
