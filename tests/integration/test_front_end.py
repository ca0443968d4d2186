"""
The local server as App Engine's front end serves the app: trusted ``X-AppEngine-*`` headers from clients are
dropped, and static files carry the security headers that ``app.yaml`` declares for them.
"""

import pytest
import yaml

from tests.support.client import AppClient


@pytest.fixture
def served(db):
    """The app behind the run command's front end (tools/devapp.py), as ``make run`` serves it."""
    from tools import devapp

    return devapp.wrap(db.app)


def test_clients_cannot_pose_as_the_task_queue_or_cron(db):
    """Headers only Google's front end may set never reach the app, whatever a client sends."""
    from tools import devapp

    seen = {}

    def app(environ, start_response):
        seen.update(environ)
        start_response("200 OK", [])
        return [b""]

    client = AppClient(devapp.wrap(app))
    client.client.post(
        "/_tasks/deferred",
        headers={
            "X-AppEngine-TaskName": "forged",
            "X-AppEngine-QueueName": "default",
            "X-AppEngine-User-IP": "0.1.0.2",
            "X-AppEngine-Cron": "true",
            "X-CloudScheduler": "true",
        },
    )
    assert not [name for name in seen if name.startswith(("HTTP_X_APPENGINE", "HTTP_X_CLOUDSCHEDULER"))]


def test_a_rotating_user_ip_header_does_not_bypass_the_login_rate_limit(served, make_user):
    """The login rate limit counts the client's address; a forged X-AppEngine-User-IP per try changes nothing."""
    name, _ = make_user("editor")
    client = AppClient(served, remote_addr="127.0.0.77")
    answers = []
    for attempt in range(40):
        response = client.client.post(
            "/vi/user/auth_userpassword/login",
            data={"name": name, "password": f"falsch-{attempt}", "skey": client.skey()},
            headers={"X-AppEngine-User-IP": f"10.9.{attempt}.1"},
            environ_base=client.environ,
        )
        answers.append(response.status_code)
    assert any(status == 429 or status >= 400 for status in answers), answers


@pytest.mark.parametrize("path", ["/static/css/fahrplan.css", "/robots.txt", "/favicon.svg"])
def test_static_files_carry_the_security_headers_of_app_yaml(served, path):
    """Static handlers send nosniff, frame and referrer rules, HSTS and a CSP, locally as on App Engine."""
    response = AppClient(served).get(path)
    assert response.status_code == 200, (path, response.status_code)
    for header in ("X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy", "Content-Security-Policy"):
        assert response.headers.get(header), (path, header, dict(response.headers))
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_every_static_handler_in_app_yaml_declares_security_headers():
    """Production serves static files without viur-core, so app.yaml must carry the headers itself."""
    from tools.devapp import ROOT

    handlers = yaml.safe_load((ROOT / "app.yaml").read_text())["handlers"]
    static = [h for h in handlers if "static_dir" in h or "static_files" in h]
    assert static and all(
        {"X-Content-Type-Options", "X-Frame-Options", "Content-Security-Policy"} <= set(h.get("http_headers") or {})
        for h in static
    )
