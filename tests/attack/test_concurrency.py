"""Many clients at once: nothing lost, no 5xx, uniqueness holds under races.

The default project runs one SQLite worker, the everything-on one two
PostgreSQL workers (clients alternate between them), both as served by
conftest.py. Each client is its own address and user, so the counts below
meet no rate limit.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from variants.servers import Answer

from .apps import ServedApp, User, unique_name

ITEMS = "/api/v1/items/"
CLIENTS = 50
CREATIONS = 20
RACERS = 20


def _total_items(app: ServedApp) -> int:
    assert app.admin is not None
    answer = app.admin.call("GET", f"{ITEMS}?limit=1")
    assert answer.status == 200, answer
    total: int = answer.body["total"]
    return total


def test_every_creation_of_many_clients_is_stored(any_app: ServedApp, record_property: Any) -> None:
    with ThreadPoolExecutor(CLIENTS) as pool:
        users = list(pool.map(lambda _: any_app.new_user("crowd"), range(CLIENTS)))
    for index, user in enumerate(users):
        user.client.worker = any_app.workers[index % len(any_app.workers)]
    before = _total_items(any_app)

    def create_all(user: User) -> list[int]:
        return [
            user.call("POST", ITEMS, json_body={"title": f"{user.name} {n}"}).status
            for n in range(CREATIONS)
        ]

    with ThreadPoolExecutor(CLIENTS) as pool:
        statuses = Counter(status for batch in pool.map(create_all, users) for status in batch)
    record_property("cases", CLIENTS * CREATIONS)
    assert statuses == {201: CLIENTS * CREATIONS}
    assert _total_items(any_app) - before == CLIENTS * CREATIONS
    for user in users[:3]:
        own = user.call("GET", f"{ITEMS}?limit=100")
        assert own.body["total"] == CREATIONS, own


def test_racing_registrations_of_one_email_make_one_account(any_app: ServedApp) -> None:
    name = unique_name("twin")
    clients = [any_app.client(n % len(any_app.workers)) for n in range(RACERS)]
    with ThreadPoolExecutor(RACERS) as pool:
        answers = list(pool.map(lambda c: c.register(name), clients))
    statuses = Counter(answer.status for answer in answers)
    assert statuses == {201: 1, 409: RACERS - 1}, statuses
    conflicts = {a.body["error"] for a in answers if a.status == 409}
    assert conflicts <= {"EMAIL_ALREADY_EXISTS", "USERNAME_ALREADY_EXISTS"}, conflicts


def test_creations_racing_the_owners_deletion_never_fail_with_5xx(any_app: ServedApp) -> None:
    """Issue 10, defect 5: items inserted while their owner is deleted (FK violation)."""
    owner = any_app.new_user("doomed")
    assert any_app.admin is not None
    admin = any_app.admin

    def create(n: int) -> Answer:
        return owner.call("POST", ITEMS, json_body={"title": f"race {n}"})

    with ThreadPoolExecutor(RACERS + 1) as pool:
        created = [pool.submit(create, n) for n in range(RACERS)]
        deleted = pool.submit(admin.call, "DELETE", f"/api/v1/users/{owner.id}")
        answers = [future.result() for future in created]
    assert deleted.result().status == 204
    # Each creation won the race (201), found its owner's token dead (401) or
    # its owner's row gone between the check and the insert (404).
    outcomes = Counter((a.status, a.body.get("error")) for a in answers)
    assert {status for status, _ in outcomes} <= {201, 401, 404}, outcomes
    assert owner.call("GET", ITEMS).status == 401
