"""
The accessibility feedback form on a publicly cached page: only posts from the site itself, within the form's
limits, below the rate limit, are stored; every stored message reaches the office with all its fields.
"""

import jinja2
import pytest

from tests.support.client import AppClient

SAME_SITE = {"Origin": "http://localhost"}


@pytest.fixture
def stored(db):
    from viur.core import db as datastore

    return lambda: list(datastore.Query("fahrplan_feedback").run(limit=50))


def post(client: AppClient, headers=SAME_SITE, **values):
    return client.post("/rueckmeldung", {"message": "Kontrast zu schwach.", **values}, False, headers=headers)


@pytest.mark.parametrize(
    "headers",
    [{"Origin": "http://evil.example"}, {"Referer": "http://evil.example/form"}, {}, {"Origin": "null"}],
)
def test_cross_site_posts_are_refused_and_not_stored(client, stored, headers):
    """A post from another site (or with no origin at all) is refused; nothing is stored or mailed."""
    response = post(client, headers=headers)
    assert response.status_code == 403, response.status_code
    assert stored() == []


def test_same_site_referer_is_enough(client, stored):
    """Browsers that send no Origin still send the Referer of the statement's page."""
    assert post(client, headers={"Referer": "http://localhost/barrierefreiheit"}).status_code == 200
    assert len(stored()) == 1


def test_a_message_as_long_as_the_form_allows_is_stored_whole(client, stored):
    """5,000 characters of umlauts (10,000 bytes, beyond the datastore's 1,500-byte index limit) are stored whole."""
    message = "ä" * 5000
    assert post(client, message=message).status_code == 200
    [entry] = stored()
    assert entry["message"] == message


def test_a_longer_message_is_refused_with_a_clear_error_and_no_echo_beyond_the_limit(client, stored):
    """5,001 characters: a field error keeps the first 5,000 in the form; a 1 MB body is refused unread."""
    response = post(client, message="x" * 5001)
    assert response.status_code == 400 and "höchstens 5.000 Zeichen" in response.text
    assert "x" * 5000 in response.text and "x" * 5001 not in response.text
    huge = post(client, message="y" * 1_000_000)
    assert huge.status_code == 413 and "y" * 1000 not in huge.text
    assert stored() == []


def test_the_rate_limit_stops_a_flood(client, stored):
    """After five messages in ten minutes from one client the form answers 429; others can still write."""
    from fahrplan.services import feedback

    answers = [post(client, message=f"Nachricht {n}").status_code for n in range(feedback.RATE_PER_CLIENT + 3)]
    assert answers[: feedback.RATE_PER_CLIENT] == [200] * feedback.RATE_PER_CLIENT
    assert set(answers[feedback.RATE_PER_CLIENT :]) == {429}
    assert len(stored()) == feedback.RATE_PER_CLIENT
    other = AppClient(client.client.application, remote_addr="127.0.0.42")
    assert post(other).status_code == 200


def test_the_honeypot_stores_nothing(client, stored):
    """A bot that fills the hidden field is thanked and nothing is stored."""
    assert post(client, website="http://spam.example").status_code == 200
    assert stored() == []


def test_the_office_mail_carries_every_field(client, monkeypatch):
    """The office's e-mail names the sender, their address, the page and the whole message."""
    from viur.core import email

    sent = []
    monkeypatch.setattr(email, "send_email", lambda **kwargs: sent.append(kwargs))
    values = {"name": "Erika Muster", "email": "erika@example.org", "page": "/zeitplan", "message": "Zu klein {{ 1 }}"}
    assert post(client, **values).status_code == 200
    [mail] = sent
    text = jinja2.Environment().from_string(mail["stringTemplate"]).render(skel=mail["skel"])
    for value in values.values():
        assert value in text, (value, text)
