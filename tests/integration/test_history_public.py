"""What the public reads of the change history: the measure page and the public change list (issue 12)."""

import datetime

from tests.support import roadmap as rm


def public_list(world, **filters) -> list[dict]:
    """The change list as anonymous visitors get it."""
    return world.sessions["anonymous"].json("/json/change/list", amount="99", **filters)["skellist"]


def measure_page(world, key, lang: str = "") -> str:
    from fahrplan.services import pagecache

    pagecache.pages.clear()
    response = world.sessions["anonymous"].get(f"{lang}/massnahme/{rm.urlsafe(key)}")
    assert response.status_code == 200, response.text[:500]
    return response.text


def add_internal_entries(measure, count: int) -> None:
    """``count`` internal history entries about ``measure``, newer than everything so far (written directly)."""
    from viur.core import db

    now = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=1)
    entities = []
    for n in range(count):
        entity = db.Entity(db.Key("change"))
        entity.update(
            entity_kind="measure",
            entity_key=rm.urlsafe(measure),
            entity_name="intern",
            measure_key=rm.urlsafe(measure),
            action="edited",
            changes="[]",
            internal_changes="[]",
            reason=f"Interne Pflege {n}",
            is_public=False,
            publishable=False,
            creationdate=now + datetime.timedelta(seconds=n),
            changedate=now + datetime.timedelta(seconds=n),
        )
        entities.append(entity)
    db.put(entities)


def test_public_history_is_not_crowded_out_by_internal_entries(world):
    """The measure page lists its public history even behind more than a page of newer internal entries."""
    r = world.roadmap
    key = rm.add_measure(r.dept_b, r.programme, r.subgoal)
    rm.update(key, status="in_progress", change_reason="Auftrag vergeben")
    add_internal_entries(key, 60)
    assert "Auftrag vergeben" in measure_page(world, key)


def test_history_of_an_unpublished_measure_is_no_longer_public(world):
    """A measure set back to draft takes its history out of public view; published again, it is back."""
    r = world.roadmap
    key = rm.add_measure(r.dept_b, r.programme, r.subgoal)
    milestone = rm.add_milestone(key, name="Öffentliches Zwischenziel")
    rm.update(key, status_note="Öffentlich begründet")
    assert {entry["entity_name"] for entry in public_list(world, measure_key=rm.urlsafe(key))} >= {
        "Öffentliches Zwischenziel"
    }

    rm.update(key, publication="draft")
    rm.update(key, status_note="Im Entwurf geändert")
    assert public_list(world, measure_key=rm.urlsafe(key)) == []
    assert public_list(world, entity_key=rm.urlsafe(milestone)) == []
    assert not any(entry["is_public"] for entry in rm.changes_of(key) + rm.changes_of(milestone))

    rm.update(key, publication="published")
    public = public_list(world, measure_key=rm.urlsafe(key))
    texts = str(public)
    assert "Öffentlich begründet" in texts and "Öffentliches Zwischenziel" in texts
    assert "Im Entwurf geändert" not in texts, "what changed while it was a draft stays internal"


DRAFT_NAMES = ("Programm im Entwurf", "Ziel im Entwurf")


def test_draft_goals_and_programmes_never_appear_publicly(world):
    """A published measure may reference a draft goal or programme: the public never reads their names."""
    r, root, anonymous = world.roadmap, world.sessions["root"], world.sessions["anonymous"]
    key = rm.add("measure", **rm_measure(r, programme=r.programme_draft, goals=[r.subgoal, r.goal_draft]))
    urlsafe = rm.urlsafe(key)
    status, body = root.post_json(
        f"/json/measure/edit/{urlsafe}", {"programme": rm.urlsafe(r.programme), "goals": rm.urlsafe(r.subgoal)}
    )
    assert status == 200 and body["action"] == "editSuccess", str(body)[:400]
    status, body = root.post_json(
        f"/json/measure/edit/{urlsafe}",
        {"programme": rm.urlsafe(r.programme_draft), "goals": [rm.urlsafe(r.subgoal), rm.urlsafe(r.goal_draft)]},
    )
    assert status == 200 and body["action"] == "editSuccess", str(body)[:400]

    public = {
        "page": measure_page(world, key),
        "English page": measure_page(world, key, "/en"),
        "JSON view": anonymous.get(f"/json/measure/view/{urlsafe}").text,
        "JSON list": anonymous.get("/json/measure/list", amount="99").text,
        "change list": anonymous.get("/json/change/list", measure_key=urlsafe).text,
    }
    assert "Teilziel 1.1" in public["page"] and "Teilziel 1.1" in public["JSON view"]
    assert "Digitale Verwaltung" in public["change list"]
    for where, text in public.items():
        for name in DRAFT_NAMES:
            assert name not in text, (where, name)
    staff = {
        "JSON view": root.get(f"/json/measure/view/{urlsafe}").text,
        "change list": root.get("/json/change/list", measure_key=urlsafe).text,
    }
    for where, text in staff.items():
        for name in DRAFT_NAMES:
            assert name in text, (where, name)


def rm_measure(r: rm.Roadmap, **values) -> dict:
    """The values of a published measure of department B (relations as keys), with ``values`` on top."""
    return {
        "name": rm.unique("Maßnahme"),
        "lead_department": r.dept_b,
        "programme": r.programme,
        "goals": [r.subgoal],
        "publication": "published",
        **values,
    }


def history_page(world, key, lang: str = "", status: int = 200, **params) -> str:
    from fahrplan.services import pagecache

    pagecache.pages.clear()
    response = world.sessions["anonymous"].get(f"{lang}/massnahme/{rm.urlsafe(key)}/aenderungen", **params)
    assert response.status_code == status, response.text[:500]
    return response.text


def test_measure_page_reads_its_history_by_key(world):
    """
    A measure page makes no query (a query's cost grows with the database): its recent public history is kept
    with the measure, and the whole history has a page of its own.
    """
    from tests.support.roundtrips import count_round_trips

    r = world.roadmap
    key = rm.add("measure", **rm_measure(r))
    rm.add_milestone(key, name="Vergabe der Leistung")
    rm.update(key, status_note="Erste Notiz")
    rm.update(key, responsible="Intern Geheim")
    measure_page(world, key)  # loads the reference data (once per minute per instance)
    from fahrplan.services import pagecache

    pagecache.pages.clear()
    with count_round_trips() as calls:
        text = world.sessions["anonymous"].get(f"/massnahme/{rm.urlsafe(key)}").text
    assert [call for call in calls if call not in ("get",)] == [], calls
    assert len(calls) <= 2, calls
    assert "Erste Notiz" in text and "Vergabe der Leistung" in text and "Intern Geheim" not in text
    assert f'href="/massnahme/{rm.urlsafe(key)}/aenderungen"' in text
    assert f'href="/en/massnahme/{rm.urlsafe(key)}/aenderungen"' in measure_page(world, key, "/en")


def test_recent_history_keeps_the_newest_public_entries(world, monkeypatch):
    """The measure keeps its newest public entries only (newest first); the page shows exactly those."""
    from fahrplan.services import history

    monkeypatch.setattr(history, "RECENT_SIZE", 3)
    r = world.roadmap
    key = rm.add("measure", **rm_measure(r))
    for n in range(5):
        rm.update(key, status_note=f"Notiz {n}")
    text = measure_page(world, key)
    assert [f"<ins>Notiz {n}</ins>" in text for n in range(5)] == [False, False, True, True, True]
    assert text.index("<ins>Notiz 4") < text.index("<ins>Notiz 3") < text.index("<ins>Notiz 2")


def test_full_history_page_is_paged_in_german_and_english(world, monkeypatch):
    """Every public entry of a measure is on its history page, a page at a time, linked page to page."""
    import re
    import urllib.parse

    from fahrplan.services import portal

    monkeypatch.setattr(portal, "HISTORY_PAGE_SIZE", 3)
    r = world.roadmap
    key = rm.add("measure", **rm_measure(r))
    for n in range(7):
        rm.update(key, status_note=f"Notiz {n}")
    rm.update(key, responsible="Intern Geheim")
    seen, params = [], {}
    for _ in range(5):
        text = history_page(world, key, **params)
        assert "Intern Geheim" not in text
        found = re.findall(r"<ins>(Notiz \d)</ins>", text)
        assert 0 < len(found) <= 3, found
        seen += found
        more = re.search(r'<a href="[^"]*/aenderungen\?cursor=([^"&]+)"[^>]*rel="next"', text)
        if not more:
            break
        params = {"cursor": urllib.parse.unquote(more.group(1))}
    assert sorted(seen) == [f"Notiz {n}" for n in range(7)]
    english = history_page(world, key, "/en")
    assert '<html lang="en">' in english and "<ins>Notiz" in english and "Older changes" in english
    history_page(world, r.draft.measure, status=404)
    history_page(world, key, status=400, cursor="kein-cursor!")


def test_republished_measure_shows_its_public_history_again(world):
    """Set back to draft, a measure keeps no public history on its page; published again, it is back."""
    r = world.roadmap
    key = rm.add("measure", **rm_measure(r))
    rm.update(key, status_note="Vor dem Entwurf")
    rm.update(key, publication="draft")
    rm.update(key, status_note="Im Entwurf")
    rm.update(key, publication="published")
    text = measure_page(world, key)
    section = text[text.index('id="history"') :]
    assert "Vor dem Entwurf" in section and "Im Entwurf" not in section


def test_history_page_refuses_a_cursor_of_another_query(world):
    """A cursor of the right shape that the datastore rejects is a 400, not a server error."""
    import base64

    r = world.roadmap
    inner = base64.urlsafe_b64encode(b"no cursor of this query").decode()
    bogus = base64.urlsafe_b64encode(inner.encode()).decode()
    history_page(world, r.b.measure, status=400, cursor=bogus)


def test_deleting_a_measure_deletes_its_recent_history(world):
    """The recent public history goes with its measure (the entries stay in the history)."""
    from viur.core import db

    from fahrplan.services import history

    key = rm.add("measure", **rm_measure(world.roadmap))
    rm.update(key, status_note="Kurz veröffentlicht")
    assert db.get(history.recent_key(key)) is not None
    rm.remove(key)
    assert db.get(history.recent_key(key)) is None
    assert rm.changes_of(key), "the history itself is kept"


def test_an_entry_is_kept_when_its_recent_history_transaction_gives_up(world, monkeypatch):
    """Collisions on a measure's recent history never lose the entry: it is written alone, the list rebuilt."""
    from viur.core import db

    key = rm.add("measure", **rm_measure(world.roadmap))
    original, gave_up = db.run_in_transaction, []

    def colliding(func, *args, **kwargs):
        if func.__qualname__ == "_put.<locals>.txn":
            gave_up.append(func)
            raise RuntimeError("Maximum transaction retries exceeded")
        return original(func, *args, **kwargs)

    monkeypatch.setattr(db, "run_in_transaction", colliding)
    rm.update(key, status_note="Trotz Kollision")
    monkeypatch.undo()
    assert gave_up, "the entry's transaction with the recent history ran (and gave up)"
    assert [entry["is_public"] for entry in rm.changes_of(key) if entry["action"] == "edited"] == [True]
    assert "<ins>Trotz Kollision</ins>" in measure_page(world, key)
