"""Customers over the API on SQLite and PostgreSQL: one profile per person across channels, history of
orders, returns and refunds, merge and unmerge by hand, and GDPR erasure checked against a dump of every
table of the database (the event log included)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import orjson
from sqlalchemy import select, update

from ordermesh.adapters.db.tables import Base, Order, table_of
from ordermesh.bootstrap import Ordermesh
from ordermesh.service.notifications import Notifier
from tests.support.checks import event_count, read_feed
from tests.support.network import Api
from tests.support.store import walk


def person(email: str, name: str | None = None, phone: str | None = None) -> dict[str, Any]:
    return {"email": email, **({"name": name} if name else {}), **({"phone": phone} if phone else {})}


def customer(api: Api, customer_id: str) -> dict[str, Any]:
    found: dict[str, Any] = api.ok(api.get(f"/customers/{customer_id}"))
    return found


def found_by(api: Api, **filters: str) -> list[str]:
    return [c["id"] for c in api.ok(api.get("/customers", **filters))["items"]]


def test_one_person_ordering_through_two_channels_has_one_profile(admin: Api, network: Any) -> None:
    admin.stock("TEE", "STORE-BER", 10)
    web = admin.ok(admin.place([("TEE", 1)], customer=person("  Zoe.Brandt@Example.COM ", "Zoe", "+49 30 1234567")),
                   201)
    # A till in Berlin: a national number, read in the pickup store's country.
    pos = admin.ok(admin.place([("TEE", 1)], channel="pos", method="pickup", pickup="STORE-BER",
                               customer=person("zoe.brandt@example.com", phone="030 1234567")), 201)
    other = admin.ok(admin.place([("TEE", 1)], customer=person("max@example.com", phone="123")), 201)

    assert web["customer_id"] is not None and web["customer_id"] == pos["customer_id"]
    assert other["customer_id"] not in (None, web["customer_id"])
    assert found_by(admin, email=" ZOE.BRANDT@example.com") == [web["customer_id"]]
    assert found_by(admin, phone="030 1234567", country="DE") == [web["customer_id"]]
    assert found_by(admin, phone="+49301234567", email="zoe.brandt@example.com") == [web["customer_id"]]
    assert found_by(admin, phone="+49301234567", email="max@example.com") == []  # two people: nobody is both

    zoe = customer(admin, web["customer_id"])
    assert (zoe["email"], zoe["phone"], zoe["name"]) == ("zoe.brandt@example.com", "+49301234567", "Zoe")
    assert zoe["channels"] == ["pos", "web"]
    assert [o["id"] for o in zoe["orders"]] == [pos["id"], web["id"]]  # newest first
    assert zoe["orders"][0]["totals"]["total"] == "10.00" and zoe["orders"][0]["status"] == "confirmed"
    assert customer(admin, other["customer_id"])["phone"] is None  # "123" identifies nobody, and is not refused


def test_a_phone_filter_that_is_not_a_phone_number_is_refused_naming_it(admin: Api, network: Any) -> None:
    response = admin.get("/customers", phone="030 1234567")  # national, and no country given
    assert response.status_code == 422 and response.json()["field"] == "phone"


def test_concurrent_first_orders_of_one_person_end_in_one_profile(admin: Api, network: Any) -> None:
    admin.stock("TEE", "WH-1", 100)
    start = threading.Barrier(6)

    def first_order(i: int) -> Any:
        start.wait()
        return admin.place([("TEE", 1)], customer=person("new.person@example.com", phone="+49 40 1234567"),
                           external_id=f"RACE-{i}")

    with ThreadPoolExecutor(6) as pool:
        responses = list(pool.map(first_order, range(6)))

    assert [r.status_code for r in responses] == [201] * 6, [r.text for r in responses if r.status_code != 201]
    assert len({r.json()["customer_id"] for r in responses}) == 1
    profiles = admin.ok(admin.get("/customers", limit=500))["items"]
    assert [p["email"] for p in profiles] == ["new.person@example.com"]
    assert len(customer(admin, profiles[0]["id"])["orders"]) == 6


def test_the_history_shows_orders_returns_and_refunds_from_every_channel(admin: Api, network: Any) -> None:
    admin.stock("TEE", "STORE-BER", 10)
    ana = person("ana.history@example.com", "Ana")
    web = admin.ok(admin.place([("TEE", 2)], customer=ana, payment={"provider": "test", "token": "tok_ok"}), 201)
    pos = admin.ok(admin.place([("TEE", 1)], channel="pos", method="pickup", pickup="STORE-BER", customer=ana), 201)
    walk(admin, web["fulfillment_orders"][0]["id"], "accept", "pick", "pack", "ship")
    line = web["lines"][0]["id"]
    rma = admin.ok(admin.post("/returns", {"order_id": web["id"], "lines": [
        {"line_id": line, "quantity": 1, "reason": "too small"}]}), 201)
    admin.ok(admin.post(f"/returns/{rma['id']}/authorize"))
    admin.ok(admin.post(f"/returns/{rma['id']}/receive", {"location": "STORE-BER", "lines": [
        {"line_id": line, "quantity": 1, "disposition": "restock"}]}))
    admin.ok(admin.post(f"/returns/{rma['id']}/refund", {}))

    history = customer(admin, web["customer_id"])

    assert history["channels"] == ["pos", "web"]
    assert {o["id"] for o in history["orders"]} == {web["id"], pos["id"]}
    assert [(r["id"], r["order_id"], r["refunded"]) for r in history["returns"]] == [(rma["id"], web["id"], "10.00")]
    assert [(x["order_id"], x["amount"], x["status"]) for x in history["refunds"]] == [(web["id"], "10.00",
                                                                                        "succeeded")]


def test_a_channel_key_sees_only_its_own_part_of_a_profile(admin: Api, network: Any, key_for: Any) -> None:
    admin.stock("TEE", "STORE-BER", 10)
    web = admin.ok(admin.place([("TEE", 1)], customer=person("both@example.com", phone="+49 30 7654321")), 201)
    admin.ok(admin.place([("TEE", 1)], channel="pos", method="pickup", pickup="STORE-BER",
                         customer=person("both@example.com")), 201)
    only_web = admin.ok(admin.place([("TEE", 1)], customer=person("web.only@example.com")), 201)
    pos_key = key_for("channel", "pos")

    seen = customer(pos_key, web["customer_id"])
    assert seen["channels"] == ["pos"] and "phones" not in seen and "merged" not in seen
    assert pos_key.get(f"/customers/{only_web['customer_id']}").status_code == 404
    assert found_by(pos_key, email="web.only@example.com") == []
    assert pos_key.get("/customers").status_code == 403  # no browsing: look-up by an identifier only
    assert key_for("location", "STORE-BER").get(f"/customers/{web['customer_id']}").status_code == 403


def test_merge_and_unmerge_by_hand(om: Ordermesh, admin: Api, network: Any, key_for: Any) -> None:
    admin.stock("TEE", "WH-1", 10)
    a = admin.ok(admin.place([("TEE", 1)], customer=person("a.person@example.com")), 201)
    b = admin.ok(admin.place([("TEE", 1)], customer=person("b.person@example.com")), 201)
    a_id, b_id = a["customer_id"], b["customer_id"]

    itself = admin.post(f"/customers/{a_id}/merge", {"into": a_id})
    assert itself.status_code == 422 and itself.json()["field"] == "into"
    assert admin.post(f"/customers/{a_id}/merge", {"into": "cus_nobody"}).json()["field"] == "into"
    assert admin.post("/customers/cus_nobody/merge", {"into": b_id}).status_code == 404
    assert key_for("analyst").post(f"/customers/{a_id}/merge", {"into": b_id}).status_code == 403

    merged = admin.ok(admin.post(f"/customers/{a_id}/merge", {"into": b_id}))
    assert merged["id"] == b_id and merged["merged"] == [a_id]
    assert {o["id"] for o in merged["orders"]} == {a["id"], b["id"]}
    assert found_by(admin, email="a.person@example.com") == [b_id]  # a's identifiers lead to the survivor
    later = admin.ok(admin.place([("TEE", 1)], customer=person("a.person@example.com")), 201)
    assert later["customer_id"] == b_id
    into_merged = admin.post(f"/customers/{b_id}/merge", {"into": a_id})
    assert into_merged.status_code == 409 and into_merged.json()["field"] == "into"
    assert admin.post(f"/customers/{a_id}/merge", {"into": b_id}).status_code == 409  # already merged

    alone = admin.ok(admin.post(f"/customers/{a_id}/unmerge"))
    assert alone["merged_into"] is None and [o["id"] for o in alone["orders"]] == [a["id"]]
    assert found_by(admin, email="a.person@example.com") == [a_id]
    assert admin.post(f"/customers/{a_id}/unmerge").status_code == 409
    events = [e for e in read_feed(admin, expect=event_count(om)) if e["type"].startswith("customer.")]
    assert [(e["type"], e["data"]["customer_id"]) for e in events] == [("customer.merged", a_id),
                                                                       ("customer.unmerged", a_id)]
    assert all(e["data"]["actor"].startswith("key:") for e in events)


# --- erasure ----------------------------------------------------------------------------------------------

NAME = "Zelda Quixotic-Marchbanks"
EMAIL = "Zelda.Quixotic@Erasure-Test.example"
PHONE = "030 98765432"
FIRST_ADDRESS = {"line1": "Vergissmeinnichtweg 17", "city": "Quellenhausen", "postal_code": "QX-4711",
                 "country": "DE", "latitude": 52.47113, "longitude": 13.29417}
SECOND_ADDRESS = {"line1": "Nimmerleinsgasse 3", "city": "Schattenfeld", "postal_code": "QX-4712",
                  "country": "DE", "latitude": 52.50127, "longitude": 13.35181}
BILLING = {"country": "DE", "line1": "Rechnungsallee 9", "city": "Zahlstadt", "postal_code": "QX-4713"}
SECRETS = [NAME, "Zelda", "Quixotic", "Marchbanks", EMAIL, PHONE, "+493098765432", "98765432",
           *(str(a[k]) for a in (FIRST_ADDRESS, SECOND_ADDRESS) for k in ("line1", "city", "postal_code", "latitude",
                                                                           "longitude")),
           BILLING["line1"], BILLING["city"], BILLING["postal_code"]]


def dump(om: Ordermesh) -> dict[str, str]:
    """Every row of every table, as text."""
    with om.engine.connect() as conn:
        return {t.name: orjson.dumps([dict(r) for r in conn.execute(select(t)).mappings()], default=str).decode()
                for t in Base.metadata.sorted_tables}


def where(text_by_table: dict[str, str], secret: str) -> list[str]:
    return [name for name, text in text_by_table.items() if secret.lower() in text.lower()]


def zeldas_orders(admin: Api) -> tuple[dict[str, Any], dict[str, Any]]:
    """A web order (paid, billed, its address changed, on a hold, partly returned) and a till order."""
    admin.stock("TEE", "STORE-BER", 10)
    admin.stock("TEE", "WH-1", 10)
    web = admin.ok(admin.place([("TEE", 2)], customer=person(EMAIL, NAME, PHONE), address=FIRST_ADDRESS,
                               billing_address=BILLING, payment={"provider": "test", "token": "tok_ok"},
                               key="erasure-web-1"), 201)
    admin.ok(admin.post(f"/orders/{web['id']}/address", {"address": SECOND_ADDRESS}))
    hold = admin.ok(admin.post(f"/orders/{web['id']}/holds",
                               {"reason": f"call {NAME} on {PHONE} first"}), 201)["holds"][-1]
    admin.ok(admin.post(f"/orders/{web['id']}/holds/{hold['id']}/release"))
    web = admin.ok(admin.get(f"/orders/{web['id']}"))
    walk(admin, web["fulfillment_orders"][-1]["id"], "accept", "pick", "pack", "ship")
    admin.ok(admin.post("/returns", {"order_id": web["id"], "note": f"{NAME} says: too small",
                                     "lines": [{"line_id": web["lines"][0]["id"], "quantity": 1,
                                                "reason": "too small"}]}), 201)
    pos = admin.ok(admin.place([("TEE", 1)], channel="pos", method="pickup", pickup="STORE-BER",
                               customer=person(EMAIL.upper(), NAME, "+49 30 98765432")), 201)
    return web, pos


def test_erasure_removes_the_person_from_every_table_and_keeps_the_money(om: Ordermesh, admin: Api, network: Any,
                                                                          key_for: Any) -> None:
    web, pos = zeldas_orders(admin)
    bystander = admin.ok(admin.place([("TEE", 1)], customer=person("bystander@example.com", "Bea Bystander")), 201)
    Notifier.from_settings(om.uow, om.settings).run()  # the confirmations, in the message log
    before = dump(om)
    assert {table for secret in SECRETS for table in where(before, secret)} >= {  # the person is everywhere
        "customers", "customer_keys", "orders", "order_changes", "order_holds", "returns", "events", "messages",
        "idempotency_keys"}
    totals = {o["id"]: admin.ok(admin.get(f"/orders/{o['id']}"))["totals"] for o in (web, pos)}
    assert key_for("analyst").post(f"/customers/{web['customer_id']}/erase").status_code == 403
    assert key_for("channel", "web").post(f"/customers/{web['customer_id']}/erase").status_code == 403

    erased = admin.ok(admin.post(f"/customers/{web['customer_id']}/erase"))

    assert erased["id"] == web["customer_id"] and sorted(erased["orders"]) == sorted([web["id"], pos["id"]])
    after = dump(om)
    left = {secret: where(after, secret) for secret in SECRETS if where(after, secret)}
    assert left == {}, f"erased data still found: {left}"
    assert where(after, "Bea Bystander")  # nobody else's data
    assert admin.ok(admin.get(f"/orders/{bystander['id']}"))["customer"]["email"] == "bystander@example.com"
    for order_id, expected in totals.items():
        order = admin.ok(admin.get(f"/orders/{order_id}"))
        assert order["totals"] == expected
        assert order["customer"] == {"email": None, "name": None, "phone": None, "erased": True}
    assert admin.ok(admin.get(f"/orders/{web['id']}"))["delivery"]["address"]["country"] == "DE"
    profile = customer(admin, web["customer_id"])
    assert profile["erased"] and (profile["email"], profile["phone"], profile["name"]) == (None, None, None)
    assert found_by(admin, email=EMAIL) == []


def test_a_second_erasure_changes_nothing_and_answers_the_same(om: Ordermesh, admin: Api, network: Any) -> None:
    admin.stock("TEE", "WH-1", 10)
    order = admin.ok(admin.place([("TEE", 1)], customer=person(EMAIL, NAME, PHONE), address=FIRST_ADDRESS), 201)
    first = admin.ok(admin.post(f"/customers/{order['customer_id']}/erase"))
    before = dump(om)

    again = admin.ok(admin.post(f"/customers/{order['customer_id']}/erase"))

    assert again == first
    assert dump(om) == before
    comeback = admin.ok(admin.place([("TEE", 1)], customer=person(EMAIL, NAME)), 201)
    assert comeback["customer_id"] not in (None, order["customer_id"])  # a new profile: the old one is gone


def test_erasing_a_merged_profile_erases_the_whole_person(om: Ordermesh, admin: Api, network: Any) -> None:
    admin.stock("TEE", "WH-1", 10)
    work = admin.ok(admin.place([("TEE", 1)], customer=person("zelda@work.example", NAME)), 201)
    home = admin.ok(admin.place([("TEE", 1)], customer=person(EMAIL, NAME, PHONE)), 201)
    admin.ok(admin.post(f"/customers/{work['customer_id']}/merge", {"into": home["customer_id"]}))

    erased = admin.ok(admin.post(f"/customers/{work['customer_id']}/erase"))

    assert erased["id"] == home["customer_id"]
    assert sorted(erased["profiles"]) == sorted([work["customer_id"], home["customer_id"]])
    after = dump(om)
    assert {s: where(after, s) for s in (NAME, EMAIL, "zelda@work.example", PHONE) if where(after, s)} == {}
    unmerge = admin.post(f"/customers/{work['customer_id']}/unmerge")
    assert unmerge.status_code == 409


def test_an_order_from_before_profiles_existed_is_erased_with_the_person(om: Ordermesh, admin: Api,
                                                                         network: Any) -> None:
    admin.stock("TEE", "WH-1", 10)
    old = admin.ok(admin.place([("TEE", 1)], customer=person(EMAIL, NAME, PHONE), address=FIRST_ADDRESS), 201)
    with om.engine.begin() as conn:  # as migration 0004 left orders placed before it: no profile
        conn.execute(update(table_of(Order)).where(table_of(Order).c.id == old["id"]).values(customer_id=None))
    new = admin.ok(admin.place([("TEE", 1)], customer=person(EMAIL, NAME)), 201)

    erased = admin.ok(admin.post(f"/customers/{new['customer_id']}/erase"))

    assert sorted(erased["orders"]) == sorted([old["id"], new["id"]])
    assert {s: where(dump(om), s) for s in (NAME, EMAIL, PHONE) if where(dump(om), s)} == {}
