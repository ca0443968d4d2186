"""
Concurrent writers against the real emulator.

Each thread is one editor with a session of its own, calling the app the way gunicorn's threads do; the
datastore underneath is the Firestore emulator, which resolves conflicting transactions as production does.
What must hold: no save of one editor fails because another editor saved something unrelated, no save
silently undoes another one, and every roll-up ends exactly where a recompute from scratch puts it.
"""

import concurrent.futures
import re

import pytest
from werkzeug.datastructures import MultiDict

from tests.integration.test_demo import rollup_state
from tests.support import roadmap as rm


@pytest.fixture
def roadmap(db):
    return rm.build()


def sessions(app, count: int, role: str = "ciio") -> list:
    return [rm.session(app, role) for _ in range(count)]


def in_parallel(jobs: list) -> list:
    """Run the callables at once (one thread each); returns their results in order."""
    with concurrent.futures.ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(lambda job: job(), jobs))


def edit_form(session, key: str) -> dict:
    """What the admin loads before an edit: the stored values (with the version they were read at)."""
    status, body = session.post_json(f"/vi/measure/edit/{key}", {}, with_skey=False)
    assert status == 200 and body["action"] == "edit", (status, str(body)[:300])
    return body["values"]


def save(session, module: str, key: str, values: dict) -> tuple[int, dict | str]:
    return session.post_json(f"/vi/{module}/edit/{key}", values)


def assert_rollups_equal_a_recompute() -> None:
    from fahrplan.services import rollup

    before = rollup_state()
    rollup.recompute_all()
    after = rollup_state()
    assert after == before


def test_editors_saving_different_measures_at_once_never_fail_and_sums_stay_exact(roadmap, stack):
    """
    Ten editors save ten different measures five times each at the same moment. No save may fail or wait
    for another (they share no entity but the roadmap's sums), and the sums stay exactly right.
    """
    r = roadmap
    keys = [rm.urlsafe(rm.add_measure(r.dept_a, r.programme, r.subgoal)) for _ in range(10)]
    clients = sessions(stack.app, len(keys))

    def editor(index: int):
        def work():
            results = []
            for round_ in range(5):
                status = ("in_progress", "delayed", "planned")[(index + round_) % 3]
                results.append(
                    save(
                        clients[index],
                        "measure",
                        keys[index],
                        {"status": status, "weight": str(1 + (index + round_) % 3), "change_reason": "Test"},
                    )
                )
            return results

        return work

    outcomes = [outcome for results in in_parallel([editor(i) for i in range(len(keys))]) for outcome in results]
    failed = [
        (status, str(body)[:200]) for status, body in outcomes if status != 200 or body["action"] != "editSuccess"
    ]
    assert not failed, f"{len(failed)} of {len(outcomes)} saves failed: {failed[:3]}"
    assert_rollups_equal_a_recompute()


def test_a_save_over_a_newer_version_is_refused_naming_who_changed_it_and_when(roadmap, stack):
    """The form carries the version it was read at; a save over a newer version is refused, nothing is lost."""
    key = rm.urlsafe(roadmap.a.measure)
    first, second = rm.session(stack.app, "ciio"), rm.session(stack.app, "root")
    form = edit_form(first, key)
    assert isinstance(form.get("version"), int | float), form.get("version")

    status, body = save(
        second, "measure", key, {"name": "Neuer Titel von Root", "version": edit_form(second, key)["version"]}
    )
    assert body["action"] == "editSuccess", str(body)[:300]

    status, body = save(first, "measure", key, {"summary": "Veraltete Fassung", "version": form["version"]})
    assert status == 200 and body["action"] == "edit", (status, str(body)[:300])
    messages = " ".join(error["errorMessage"] for error in body["errors"])
    assert "inzwischen" in messages and re.search(r"root-\w+@test\.example", messages), messages
    assert re.search(r"\d\d\.\d\d\.\d{4}", messages), messages
    assert body.get("reason") and body.get("descr"), "the admin shows reason and descr of a refused save"
    stored = rm.stored(key)
    assert stored["name"] == "Neuer Titel von Root" and stored["summary"] != "Veraltete Fassung"

    fresh = edit_form(first, key)  # reloading the entry and saving again works
    status, body = save(first, "measure", key, {"summary": "Neue Fassung", "version": fresh["version"]})
    assert body["action"] == "editSuccess", str(body)[:300]
    assert rm.stored(key)["name"] == "Neuer Titel von Root" and rm.stored(key)["summary"] == "Neue Fassung"


FIELDS = ("summary", "status_note", "contact_name", "responsible", "location_name", "external_id", "name")


def test_editors_changing_different_fields_of_one_measure_at_once_lose_nothing(roadmap, stack):
    """
    Seven editors load one measure and each changes another field at the same moment. Refused saves (the
    form's error, or 409 for a save in the same instant) are retried after a reload, as an editor would; in the
    end every field holds what its editor saved, and no save answered with a server error.
    """
    key = rm.urlsafe(roadmap.a.measure)
    clients = sessions(stack.app, len(FIELDS))

    def editor(index: int):
        def work():
            field, value = FIELDS[index], f"Wert {index} {FIELDS[index]}"
            statuses = []
            for _ in range(12):
                form = edit_form(clients[index], key)
                status, body = save(clients[index], "measure", key, {field: value, "version": form["version"]})
                statuses.append(status)
                if status == 200 and body["action"] == "editSuccess":
                    return statuses, True
            return statuses, False

        return work

    outcomes = in_parallel([editor(i) for i in range(len(FIELDS))])
    # 409: refused because another save came first (in the same instant, so the form could not say it yet)
    assert all(status in (200, 409) for statuses, _ in outcomes for status in statuses), outcomes
    assert all(done for _, done in outcomes), outcomes
    stored = rm.stored(key)
    assert {field: stored[field] for field in FIELDS} == {
        field: f"Wert {index} {field}" for index, field in enumerate(FIELDS)
    }


def test_concurrent_milestone_writes_leave_the_measure_at_its_milestones_progress(roadmap, stack):
    """Milestones added and closed at once by several editors: the measure converges to what they give."""
    from fahrplan.services import rollup

    r = roadmap
    measure = rm.add_measure(r.dept_a, r.programme, r.subgoal)
    milestones = [rm.urlsafe(rm.add_milestone(measure, weight=1 + i % 3)) for i in range(8)]
    clients = sessions(stack.app, len(milestones))

    def editor(index: int):
        def work():
            results = [
                save(
                    clients[index],
                    "milestone",
                    milestones[index],
                    {"state": "done", "actual_date": "2025-05-01", "change_reason": "T"},
                )
            ]
            status, body = clients[index].post_json(
                "/vi/milestone/add",
                {
                    "measure": rm.urlsafe(measure),
                    "name": rm.unique("Neu"),
                    "planned_date": "2031-01-01",
                    "weight": str(1 + index % 2),
                    **({"state": "done", "actual_date": "2025-05-02"} if index % 2 else {"state": "open"}),
                },
            )
            return [*results, (status, body)]

        return work

    outcomes = [outcome for results in in_parallel([editor(i) for i in range(len(milestones))]) for outcome in results]
    assert all(status == 200 and body["action"].endswith("Success") for status, body in outcomes), [
        (status, body.get("errors") if isinstance(body, dict) else body[:200])
        for status, body in outcomes
        if status != 200 or not body["action"].endswith("Success")
    ]
    stored = rm.stored(measure)
    expected, _ = rollup.measure_progress(
        stored["status"], [(m.get("weight"), m.get("state")) for m in rollup.milestones_of(measure)]
    )
    assert stored["progress"] == expected
    assert_rollups_equal_a_recompute()


def move(milestone, measure) -> None:
    """Move a milestone to another measure through its skeleton (as the admin does)."""
    from viur.core import skeleton

    skel = skeleton.skeletonByKind("milestone")()
    assert skel.read(milestone)
    assert skel.setBoneValue("measure", measure)
    skel["change_reason"] = "umgezogen"
    skel.write()


def test_saves_find_a_measures_children_by_key_never_by_a_query_over_their_kinds(roadmap, stack):
    """
    A save's cost must not grow with the database: the refresh finds a measure's milestones and KPIs by the
    keys the measure keeps (``child_keys``), because a query over the milestone or KPI kind scans the kind on
    the emulator (seconds per save at workload L, so the writers' bench row got nothing but 503s). Adding,
    moving and deleting children still leaves the kept keys and every roll-up exactly right.
    """
    from tests.support.roundtrips import record_queries

    r = roadmap
    measure = rm.add_measure(r.dept_a, r.programme, r.subgoal)
    other = rm.add_measure(r.dept_a, r.programme, r.subgoal)
    with record_queries() as kinds:
        first = rm.add_milestone(measure, weight=2, state="done", actual_date=rm.PAST)
        second = rm.add_milestone(measure, weight=1)
        kpi = rm.add_kpi(measure)
        rm.update(second, state="done", actual_date=rm.PAST, change_reason="erledigt")
        rm.update(measure, summary="Neu")
        rm.remove(first)
        moved = rm.add_milestone(measure, weight=3)
        move(moved, other)
    children_queries = [kind for kind in kinds if kind in ("milestone", "kpi")]
    assert children_queries == []
    assert set(rm.stored(measure)["child_keys"]) == {rm.urlsafe(second), rm.urlsafe(kpi)}
    assert rm.stored(other)["child_keys"] == [rm.urlsafe(moved)]
    assert rm.stored(measure)["progress"] == 100.0
    assert_rollups_equal_a_recompute()
    assert set(rm.stored(measure)["child_keys"]) == {rm.urlsafe(second), rm.urlsafe(kpi)}


def test_recompute_started_twice_counts_every_measure_once_and_reports_progress(roadmap, stack):
    """Two overlapping recompute requests: both are answered with the job's progress URL; nothing is double-counted."""
    from fahrplan.services import rollup

    expected = rollup_state()
    clients = sessions(stack.app, 2, "root")
    outcomes = in_parallel([lambda c=c: c.post_json("/vi/measure/recompute", {}) for c in clients])
    for status, body in outcomes:
        assert status == 200, (status, str(body)[:300])
        assert body["progress_url"].startswith("/json/measure/recompute_status"), body
    report = clients[0].json(outcomes[0][1]["progress_url"])
    assert report["state"] == "done" and report["done"] == report["total"] == rm.count("measure"), report
    assert rollup.stats()["all"]["n"] == rm.count("measure")
    assert rollup_state() == expected


@pytest.mark.parametrize(
    "values",
    [
        {"programme": "0"},
        {"lead_department": "0"},
        {"goals": "0"},
        {"goals": ["0", "-1"]},
        {"progress_override": "inf"},
        {"key": "ahBzfmZhaHJwbGFuLXRlc3RyDQsSB21lYXN1cmUYAQw"},
        {"key": "0"},
    ],
    ids=lambda values: "+".join(f"{k}={v}" for k, v in values.items()),
)
def test_hostile_edit_values_are_clean_errors(roadmap, stack, values):
    """What a fuzz run found answering HTTP 500: each is a clean validation error, the measure unchanged."""
    key = rm.urlsafe(roadmap.a.measure)
    before = rm.stored(key)
    session = rm.session(stack.app, "root")
    status, body = save(session, "measure", key, {"summary": "Fuzz", **values})
    assert status in (200, 400), (status, str(body)[:300])
    if status == 200 and body["action"] == "editSuccess":
        assert "key" in values  # a form field named key is ignored: the key is the one in the URL
        assert body["values"]["key"] == key
    else:
        assert rm.stored(key)["summary"] == before["summary"]


def test_a_repeated_skey_field_is_a_clean_error(roadmap, stack):
    key = rm.urlsafe(roadmap.a.measure)
    session = rm.session(stack.app, "root")
    skey = session.skey()
    response = session.client.post(
        f"/vi/measure/edit/{key}",
        data=MultiDict([("summary", "Zweimal"), ("skey", skey), ("skey", skey)]),
        environ_base=session.environ,
    )
    assert response.status_code == 400, (response.status_code, response.text[:300])
    assert rm.stored(key)["summary"] != "Zweimal"


def test_generate_never_writes_sums_it_read_earlier(db, stack):
    """`tools.manage generate` next to editors: the roadmap's sums afterwards still count every measure."""
    from fahrplan.testing import workloads

    r = rm.build()
    client = rm.session(stack.app, "ciio")

    def add_measures():
        return [
            client.post_json("/vi/measure/add", {**rm.measure_payload_for(r), "publication": "draft"}) for _ in range(6)
        ]

    generated, added = in_parallel([lambda: workloads.generate(measures=40, seed=3), add_measures])
    assert all(body["action"] == "addSuccess" for _, body in added), [str(b)[:200] for _, b in added]
    from fahrplan.services import rollup

    assert rollup.stats()["all"]["n"] == rm.count("measure")
    assert_rollups_equal_a_recompute()


def test_each_logged_change_is_applied_exactly_once_however_many_folds_run(roadmap, stack):
    """Four folds of the same pending changes at once (as from four instances): each change counts once."""
    from viur.core import db

    from fahrplan.services import rollup, sums

    before = rollup.stats()["all"]["n"]
    contribution = {"weight": 1.0, "progress": 50.0, "status": "planned", "delayed": False, "overdue": 0}
    contribution |= {"public": False, "targets": {f"{rollup.STATS_KIND}/{rollup.STATS_NAME}": 1.0}}
    keys = [db.Key("measure", 10**12 + index) for index in range(20)]
    for key in keys:
        db.run_in_transaction(sums.record, key, 1, None, contribution)
    pending = sums.pending_keys(100)
    assert len(pending) == 20
    in_parallel([lambda: db.run_in_transaction(sums._fold, pending) for _ in range(4)])
    assert sums.pending_keys(100) == []
    assert rollup.stats()["all"]["n"] == before + 20


FUZZ_NUMBERS = ["", "null", "0", "1", "2.5", "99", "100", "101", "-1", "inf", "nan", "1e309", "abc", " 7 "]
FUZZ_STATUS = ["planned", "in_progress", "delayed", "completed", "stopped", "unknown", ""]
FUZZ_STATES = ["open", "done", "dropped", "reached", ""]
FUZZ_DATES = ["2024-05-01", "2026-01-01", "2031-12-31", "", "31.12.2030", "gestern"]
CLEAN_STATUSES = {200, 400, 403, 404, 409}
"""Every answer of the fuzz run: success, a validation form (200), or a clean refusal; never a 500."""


def test_a_concurrent_fuzz_run_never_fails_with_500_and_leaves_every_roll_up_equal_to_a_recompute(roadmap, stack):
    """
    Six staff members fire 30 random saves each at once on the same six measures and their milestones: valid and
    invalid numbers, statuses, dates and publications, milestone adds, edits and deletions, and hostile relation
    values. Every answer is a clean success or refusal, and afterwards every stored roll-up (measures, goals,
    programmes, the roadmap) is exactly what a recompute from scratch gives.
    """
    import random

    r = roadmap
    measure_keys = [rm.add_measure(r.dept_a, r.programme, r.subgoal) for _ in range(6)]
    measures = [rm.urlsafe(key) for key in measure_keys]
    milestones = [rm.urlsafe(rm.add_milestone(key)) for key in measure_keys for _ in range(2)]
    clients = sessions(stack.app, 6)

    def staff(seed: int):
        rng = random.Random(seed)

        def operation(session):
            choice = rng.random()
            if choice < 0.35:
                values = {
                    rng.choice(["status", "weight", "progress_override", "publication", "goals", "programme"]): "",
                    "change_reason": "Fuzz",
                }
                bone = next(iter(values))
                values[bone] = {
                    "status": rng.choice(FUZZ_STATUS),
                    "weight": rng.choice(FUZZ_NUMBERS),
                    "progress_override": rng.choice(FUZZ_NUMBERS),
                    "publication": rng.choice(["draft", "review", "published"]),
                    "goals": rng.choice([rm.urlsafe(r.subgoal), rm.urlsafe(r.goal), "0", "kaputt"]),
                    "programme": rng.choice([rm.urlsafe(r.programme), rm.urlsafe(r.programme_draft), "0"]),
                }[bone]
                return save(session, "measure", rng.choice(measures), values)
            if choice < 0.7:
                values = {
                    "state": rng.choice(FUZZ_STATES),
                    "weight": rng.choice(FUZZ_NUMBERS),
                    "actual_date": rng.choice(FUZZ_DATES),
                    "planned_date": rng.choice(FUZZ_DATES),
                    "change_reason": "Fuzz",
                }
                picked = dict(rng.sample(sorted(values.items()), rng.randint(1, 3))) | {"change_reason": "Fuzz"}
                return save(session, "milestone", rng.choice(milestones), picked)
            if choice < 0.85:
                payload = {
                    "measure": rng.choice(measures + ["0"]),
                    "name": rm.unique("Fuzz"),
                    "planned_date": rng.choice(FUZZ_DATES),
                    "state": rng.choice(FUZZ_STATES),
                    "weight": rng.choice(FUZZ_NUMBERS),
                }
                status, body = session.post_json("/vi/milestone/add", payload)
                if status == 200 and isinstance(body, dict) and body.get("action") == "addSuccess":
                    milestones.append(body["values"]["key"])
                return status, body
            return session.post_json(f"/vi/milestone/delete/{rng.choice(milestones)}", {})

        def work():
            session = clients[seed]
            return [operation(session) for _ in range(30)]

        return work

    outcomes = [outcome for results in in_parallel([staff(seed) for seed in range(6)]) for outcome in results]
    unclean = [(status, str(body)[-2500:]) for status, body in outcomes if status not in CLEAN_STATUSES]
    assert not unclean, f"{len(unclean)} of {len(outcomes)} answers were not clean: {unclean[:3]}"
    saved = [
        body
        for status, body in outcomes
        if status == 200 and isinstance(body, dict) and "Success" in body.get("action", "")
    ]
    assert len(saved) > 30, f"only {len(saved)} of {len(outcomes)} saves went through: the run tested nothing"
    assert_rollups_equal_a_recompute()


@pytest.mark.parametrize("action", ["add", "edit", "delete"])
def test_a_write_whose_every_transaction_collided_is_a_409_not_a_500(roadmap, stack, monkeypatch, action):
    """Under load a write can collide on every attempt (nothing is written): add, edit and delete answer 409."""
    from viur.core import db
    from viur.core.skeleton import skeleton as skeleton_module

    r = roadmap
    key = rm.urlsafe(r.a.milestone)
    before, count = rm.stored(r.a.milestone), rm.count("milestone")
    session = rm.session(stack.app, "ciio")
    skey_first = {
        "add": "/vi/milestone/add",
        "edit": f"/vi/milestone/edit/{key}",
        "delete": f"/vi/milestone/delete/{key}",
    }
    values = {
        "add": {
            "measure": rm.urlsafe(r.a.measure),
            "name": "Kollision",
            "planned_date": "2031-01-01",
            "state": "open",
            "weight": "1",
        },
        "edit": {"name": "Kollision"},
        "delete": {},
    }[action]
    real = db.run_in_transaction

    def collided(callee, *args, **kwargs):
        if getattr(callee, "__name__", "").startswith(("__txn_write", "__txn_delete", "_Skeleton__txn")):
            raise RuntimeError("Maximum transaction retries exceeded")
        return real(callee, *args, **kwargs)

    monkeypatch.setattr(skeleton_module.db, "run_in_transaction", collided)
    status, body = session.post_json(skey_first[action], values)
    monkeypatch.undo()
    assert status == 409, (status, str(body)[:500])
    assert "nicht gespeichert" in str(body)
    assert rm.stored(r.a.milestone) == before and rm.count("milestone") == count
