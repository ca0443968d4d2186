"""
When the database is down, in-process: every datastore call of viur-core's client carries a deadline and passes
the circuit breaker; the portal serves pages of its page cache however stale (with a short ``Cache-Control``),
and everything else gets a 503 with ``Retry-After`` in the portal's style, or as JSON for the APIs.

The outage is simulated here by opening the circuit breaker (no call reaches the emulator); the functional test
``tests/functional/test_outage.py`` pauses and kills a real emulator under a running server.
"""

import json

import pytest
from google.api_core import exceptions as api_exceptions

from tests.support import roadmap


@pytest.fixture
def outage(db, monkeypatch):
    """Open the instance's circuit breaker for the rest of the test (closed again afterwards)."""
    from fahrplan.services import datastore

    monkeypatch.setattr(datastore.breaker, "cooldown", 600.0)

    def start() -> None:
        datastore.breaker.failed("simulated outage")

    yield start
    datastore.breaker.reset()


@pytest.fixture
def fresh_portal(db):
    from fahrplan.services import portal

    portal.reset()
    yield
    portal.reset()


class FakeApi:
    """Stands in for the generated datastore API: records each call's timeout and retry, answers from a script."""

    def __init__(self, *outcomes):
        self.outcomes = list(outcomes)
        self.calls: list[dict] = []

    def lookup(self, request=None, timeout=None, retry="unset"):
        self.calls.append({"timeout": timeout, "retry": retry})
        outcome = self.outcomes.pop(0) if self.outcomes else "answer"
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    commit = lookup


def guarded(*outcomes):
    from fahrplan.services import breaker, datastore

    circuit = breaker.CircuitBreaker(cooldown=600.0)
    api = FakeApi(*outcomes)
    return datastore.GuardedDatastoreApi(api, circuit=circuit, sleep=lambda seconds: None), api, circuit


def test_viur_cores_client_calls_go_through_the_guard_with_a_deadline_and_no_library_retry(db, monkeypatch):
    """The library's default is 60 s per attempt and retries for 60 s more; every call must get ours instead."""
    from viur.core import db as viur_db
    from viur.core.db import transport

    from fahrplan.services import datastore

    api = transport.__client__._datastore_api
    assert isinstance(api, datastore.GuardedDatastoreApi)
    seen = []
    inner = api.api

    class Spy:
        def __getattr__(self, name):
            method = getattr(inner, name)

            def spied(*args, **kwargs):
                seen.append((name, kwargs.get("timeout"), kwargs.get("retry", "missing")))
                return method(*args, **kwargs)

            return spied

    monkeypatch.setattr(api, "api", Spy())
    entity = viur_db.Entity(viur_db.Key("outage-probe", "one"))
    entity["value"] = 1
    viur_db.put(entity)
    assert viur_db.get(entity.key)["value"] == 1
    assert viur_db.count("outage-probe") == 1
    list(viur_db.Query("outage-probe").run(limit=5))
    names = {name for name, _, _ in seen}
    assert {"commit", "lookup", "run_query", "run_aggregation_query"} <= names, seen
    background = datastore.settings().datastore_background_seconds  # the test calls outside a request
    assert all(0 < timeout <= background and retry is None for _, timeout, retry in seen), seen


def test_a_read_that_finds_the_datastore_unreachable_is_retried_within_its_deadline(stack):
    from fahrplan.types import DatastoreUnavailable

    api, fake, circuit = guarded(api_exceptions.ServiceUnavailable("refused"), "answer")
    assert api.lookup(request={}) == "answer"
    assert len(fake.calls) == 2 and circuit.state.value == "closed"

    api, fake, circuit = guarded(*[api_exceptions.ServiceUnavailable("refused")] * 1000)
    with pytest.raises(DatastoreUnavailable, match="unreachable"):
        api.lookup(request={}, timeout=0.3)
    assert circuit.state.value == "open"
    assert all(call["timeout"] <= 0.3 for call in fake.calls)


def test_a_timeout_opens_the_circuit_and_the_next_call_fails_without_reaching_the_datastore(stack):
    from fahrplan.types import DatastoreUnavailable

    api, fake, circuit = guarded(api_exceptions.DeadlineExceeded("slow"))
    with pytest.raises(DatastoreUnavailable, match="deadline"):
        api.lookup(request={})
    assert len(fake.calls) == 1  # a timeout is not retried: the deadline is spent
    with pytest.raises(DatastoreUnavailable, match="circuit open"):
        api.lookup(request={})
    assert len(fake.calls) == 1


def test_an_interrupted_probe_does_not_leave_the_circuit_half_open(stack):
    """Else every later call would fail fast for good: the instance would need a restart."""
    api, fake, circuit = guarded(KeyboardInterrupt())
    circuit.failed("earlier outage")
    circuit.cooldown = 0.0
    with pytest.raises(KeyboardInterrupt):
        api.lookup(request={})
    assert circuit.state.value == "open"
    assert api.lookup(request={}) == "answer"  # the next probe
    assert circuit.state.value == "closed"


def test_the_production_channel_is_built_with_a_short_reconnect_backoff(stack, monkeypatch):
    """Against Google's endpoint (https) the package builds the secure channel itself, with the same options."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import datastore as google_datastore
    from google.cloud.datastore_v1.services.datastore import client as datastore_client

    from fahrplan.services import datastore

    monkeypatch.delenv("DATASTORE_EMULATOR_HOST")
    client = google_datastore.Client(project="fahrplan-test", credentials=AnonymousCredentials())
    assert client._base_url.startswith("https://")
    api = datastore.grpc_api(client)
    assert isinstance(api, datastore_client.DatastoreClient)
    assert dict(datastore.RECONNECT_OPTIONS)["grpc.max_reconnect_backoff_ms"] <= 1000


def test_writes_get_one_attempt_and_error_answers_count_as_the_datastore_answering(stack):
    from fahrplan.types import DatastoreUnavailable

    api, fake, circuit = guarded(api_exceptions.ServiceUnavailable("refused"))
    with pytest.raises(DatastoreUnavailable):
        api.commit(request={})
    assert len(fake.calls) == 1  # a commit is not always idempotent

    api, fake, circuit = guarded(api_exceptions.Conflict("contention"))
    circuit.failed("earlier outage")
    circuit.cooldown = 0.0
    with pytest.raises(api_exceptions.Conflict):
        api.lookup(request={})
    assert circuit.state.value == "closed"


def test_public_pages_allow_stale_if_error(fresh_portal, client):
    response = client.get("/")
    assert response.status_code == 200
    assert "stale-if-error=" in response.headers["Cache-Control"]


def test_a_cached_page_is_served_however_stale_while_the_datastore_is_down(fresh_portal, client, outage, monkeypatch):
    """stale-if-error in the instance: better last minute's page than none; edges must not keep it long."""
    from fahrplan.services import pagecache, portal

    roadmap.build()
    warm = client.get("/massnahmen")
    assert warm.status_code == 200
    monkeypatch.setattr(pagecache.pages, "ttl", 0.0)  # every cached page is past its TTL now
    portal.forget_reference()  # rendering again would need the datastore
    outage()

    response = client.get("/massnahmen")
    assert response.status_code == 200 and response.text == warm.text
    control = response.headers["Cache-Control"]
    assert "max-age=5" in control and "s-maxage=5" in control and "stale-if-error" not in control

    response = client.get("/ziele")  # never rendered: nothing to fall back on
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0


def test_list_pages_render_from_the_catalogue_the_instance_holds(fresh_portal, client, outage, monkeypatch):
    """Nothing can be published while the datastore is down: the in-memory catalogue and reference data stay right."""
    from fahrplan.services import catalogue, portal

    site = roadmap.build()
    roadmap.update(site.a.measure, name="E-Akte für alle Ämter")
    assert client.get("/massnahmen").status_code == 200  # loads the catalogue and the reference data
    monkeypatch.setattr(catalogue, "SYNC_SECONDS", 0.0)  # every page view would sync
    portal.reference().loaded -= 3600.0  # and reload the reference data
    outage()

    for path in ["/massnahmen?amt=A", "/programm/dv", "/amt/A", "/zeitplan"]:
        response = client.get(path)
        assert response.status_code == 200, (path, response.text[:300])
        assert "stale-if-error=" in response.headers["Cache-Control"]
    assert "E-Akte für alle Ämter" in client.get("/massnahmen?q=akte").text
    response = client.get(f"/massnahme/{roadmap.urlsafe(site.a.measure)}")  # needs its measure from the datastore
    assert response.status_code == 503


def test_an_uncached_page_gets_the_portals_503_page_in_its_language(fresh_portal, client, outage):
    outage()
    response = client.get("/massnahmen")
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Type"].startswith("text/html")
    assert '<html lang="de">' in response.text and "Vorübergehend nicht erreichbar" in response.text
    assert 'class="site-header"' in response.text and "Traceback" not in response.text
    assert 'hreflang="en" href="/en/massnahmen"' in response.text

    response = client.get("/en/massnahmen")
    assert response.status_code == 503
    assert '<html lang="en">' in response.text and "Temporarily unavailable" in response.text


@pytest.mark.parametrize("path", ["/json/measure/list", "/json/skey", "/vi/skey"])
def test_the_apis_get_a_json_503(db, client, outage, path):
    outage()
    response = client.get(path)
    assert response.status_code == 503, response.text[:500]
    assert response.headers["Content-Type"].startswith("application/json")
    body = json.loads(response.text)
    assert body["status"] == 503 and body["reason"] == "Service Unavailable"
    assert "traceback" not in body
    assert int(response.headers["Retry-After"]) > 0


def test_a_session_that_cannot_be_loaded_gets_a_503_and_no_cookie(db, client, outage):
    """A visitor with a session cookie: the session lookup fails first; nothing is written back."""
    client.skey()  # starts a session (cookie)
    outage()
    response = client.get("/json/measure/list")
    assert response.status_code == 503
    assert "Set-Cookie" not in response.headers


def test_a_session_that_cannot_be_saved_gets_a_503_not_a_bare_500(fresh_portal, client, outage):
    """viur-core saves a changed session after its error handling; an outage there must still answer 503."""
    from viur.core import current, request

    assert client.get("/").status_code == 200  # in the page cache now: answered without the datastore

    def change_session() -> None:
        current.session.get().changed = True

    request.Router.before_request_funcs.append(change_session)
    try:
        outage()
        response = client.get("/")
    finally:
        request.Router.before_request_funcs.remove(change_session)
    assert response.status_code == 503
    assert "Vorübergehend nicht erreichbar" in response.text and "Set-Cookie" not in response.headers


def test_the_local_server_serves_static_files_without_viur_core(stack):
    """As on App Engine, static files never reach the app, so they cannot wait for the datastore."""
    from werkzeug.test import Client

    from tools import devapp
    from tools.build_static import TARGET, build

    if not (TARGET / "build.json").exists():
        build()

    def app(environ, start_response):
        raise AssertionError(f"{environ['PATH_INFO']} reached the app")

    client = Client(devapp.wrap(app))
    for path in ["/robots.txt", "/favicon.svg", "/static/css/fahrplan.css"]:
        response = client.get(path)
        assert response.status_code == 200, path


def test_the_http_transport_gets_the_same_deadline(stack, tmp_path, monkeypatch):
    """With gRPC switched off (``GOOGLE_CLOUD_DISABLE_GRPC``) calls go through ``requests``: same guard, same 503."""
    import os
    import signal
    import time

    from google.cloud import datastore as google_datastore
    from viur.core import conf

    from fahrplan.services import datastore
    from fahrplan.types import DatastoreUnavailable
    from tools import emulators

    with emulators.FirestoreEmulator(log_path=tmp_path / "firestore.log") as paused:
        from google.api_core.client_options import ClientOptions
        from google.auth.credentials import AnonymousCredentials

        # The paused emulator is named explicitly, not through DATASTORE_EMULATOR_HOST: once viur-core's App Engine
        # middleware is loaded, a test process's environment is request-local, and a client built from it may
        # talk to the suite's own emulator instead (which never pauses).
        monkeypatch.delenv("DATASTORE_EMULATOR_HOST", raising=False)
        client = google_datastore.Client(
            project="fahrplan-test",
            _use_grpc=False,
            credentials=AnonymousCredentials(),
            client_options=ClientOptions(api_endpoint=f"http://{paused.host}"),
        )
        monkeypatch.undo()  # the suite's own environment again
        assert paused.host in client._base_url, client._base_url
        datastore.install(client)
        key = client.key("outage-probe", 1)
        assert client.get(key) is None  # the emulator's first answer over HTTP may take a few seconds
        monkeypatch.setattr(conf.fahrplan, "datastore_background_seconds", 1.0)
        os.killpg(paused.process.pid, signal.SIGSTOP)
        try:
            started = time.monotonic()
            with pytest.raises(DatastoreUnavailable, match="deadline"):
                client.get(key)
            assert time.monotonic() - started < 2.5
        finally:
            os.killpg(paused.process.pid, signal.SIGCONT)
            datastore.breaker.reset()
        assert client.get(key) is None
