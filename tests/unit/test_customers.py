"""Customer identifiers, the merge rules and the erasure scrubber: pure functions, no database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ordermesh.adapters.phones import to_e164
from ordermesh.domain.customers import ProfileState, check_merge, check_unmerge, normalise_email
from ordermesh.domain.erasure import ERASED, PersonalData, Scrubber
from ordermesh.domain.errors import Conflict, InvalidInput

NOW = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("raw", ["ana@example.com", "  Ana@Example.COM ", "ANA@EXAMPLE.COM\t"])
def test_an_email_is_matched_trimmed_and_in_lower_case(raw: str) -> None:
    assert normalise_email(raw) == "ana@example.com"


def test_an_empty_email_identifies_nobody() -> None:
    assert normalise_email("   ") is None
    assert normalise_email(None) is None


@pytest.mark.parametrize(("raw", "region"), [
    ("+49 30 1234567", None), ("030 1234567", "DE"), ("(030) 123-4567", "DE"), ("0049 30 1234567", "DE"),
    ("+49 30 1234567", "US"),  # an international number does not care about the order's country
])
def test_a_phone_number_is_matched_in_e164(raw: str, region: str | None) -> None:
    assert to_e164(raw, region) == "+49301234567"


@pytest.mark.parametrize(("raw", "region"), [
    ("030 1234567", None),  # national, and no country to read it in
    ("000", "DE"), ("123", None), ("", "DE"), (None, "DE"),
])
def test_an_unreadable_phone_number_is_kept_out_of_matching(raw: str | None, region: str | None) -> None:
    assert to_e164(raw, region) is None


def profile(id_: str, merged_into: str | None = None, erased: bool = False) -> ProfileState:
    return ProfileState(id_, merged_into, NOW if erased else None)


def test_a_profile_merges_into_another_surviving_one() -> None:
    check_merge(profile("a"), profile("b"), "b")


@pytest.mark.parametrize(("source", "target", "error", "field"), [
    (profile("a"), profile("a"), InvalidInput, "into"),
    (profile("a"), None, InvalidInput, "into"),
    (profile("a"), profile("b", merged_into="c"), Conflict, "into"),
    (profile("a"), profile("b", erased=True), Conflict, "into"),
    (profile("a", merged_into="c"), profile("b"), Conflict, "customer_id"),
    (profile("a", erased=True), profile("b"), Conflict, "customer_id"),
])
def test_a_merge_that_would_not_leave_one_surviving_profile_is_refused(
        source: ProfileState, target: ProfileState | None, error: type[Exception], field: str) -> None:
    with pytest.raises(error) as refused:
        check_merge(source, target, target.id if target else "nobody")
    assert getattr(refused.value, "field", None) == field


def test_only_a_merged_profile_can_be_unmerged() -> None:
    assert check_unmerge(profile("a", merged_into="b")) == "b"
    with pytest.raises(Conflict):
        check_unmerge(profile("a"))
    with pytest.raises(Conflict):
        check_unmerge(profile("a", merged_into="b", erased=True))


def scrubber_for(*documents: object) -> Scrubber:
    found = PersonalData()
    for doc in documents:
        found.collect(doc)
    return Scrubber(found)


CUSTOMER = {"email": "zelda@example.com", "name": "Zelda Quill", "phone": "030 1234567"}
ADDRESS = {"line1": "Lindenweg 7", "city": "Munich", "postal_code": "80331", "country": "DE",
           "latitude": 48.1391, "longitude": 11.5802}


def test_person_and_address_dicts_are_anonymised_wherever_they_appear() -> None:
    scrub = scrubber_for(CUSTOMER, {"address": ADDRESS})
    doc = {"order_id": "ord_1", "customer": dict(CUSTOMER), "to": {"address": dict(ADDRESS)}, "quantity": 48}
    assert scrub.doc(doc) == {
        "order_id": "ord_1", "customer": {"email": None, "name": None, "phone": None},
        "to": {"address": {"line1": ERASED, "city": ERASED, "postal_code": ERASED, "country": "DE",
                           "latitude": None, "longitude": None}},
        "quantity": 48}


def test_collected_values_are_cut_out_of_free_text_and_stray_values() -> None:
    scrub = scrubber_for(CUSTOMER, ADDRESS)
    assert scrub.text("Call ZELDA QUILL on 030 1234567 about Lindenweg 7.") == \
        f"Call {ERASED} on {ERASED} about {ERASED}."
    assert scrub.doc({"note": "zelda@example.com", "seen": [48.1391, 3.5]}) == {"note": ERASED, "seen": [None, 3.5]}


def test_a_city_is_erased_as_a_whole_value_but_not_inside_codes_and_ids_are_never_touched() -> None:
    scrub = scrubber_for(ADDRESS, CUSTOMER)
    assert scrub.doc({"city_seen": "Munich", "location": "STORE-MUNICH", "text": "STORE-MUNICH is open"}) == \
        {"city_seen": ERASED, "location": "STORE-MUNICH", "text": "STORE-MUNICH is open"}
    assert scrub.doc({"customer_id": "zelda@example.com"}) == {"customer_id": "zelda@example.com"}


def test_a_short_name_is_not_cut_out_of_other_words() -> None:
    scrub = scrubber_for({"email": "al@example.com", "name": "Al"})
    assert scrub.text("Also shipped to Al") == "Also shipped to Al"  # "Al" alone: whole values only
    assert scrub.text("Al") == ERASED


def test_a_billing_address_with_only_a_city_is_still_an_address_and_distances_to_it_go() -> None:
    found = PersonalData()
    found.collect({"billing": {"country": "DE", "city": "Quedlinburg"}})
    scrub = Scrubber(found)
    assert scrub.doc({"country": "DE", "city": "Quedlinburg"}) == {"country": "DE", "city": ERASED}
    # Distances from the erased address to each candidate store would locate it again.
    explained = {"candidates": [{"location": "STORE-BER", "distance_km": 187.3, "chosen": True}]}
    assert scrub.doc(explained) == {"candidates": [{"location": "STORE-BER", "distance_km": None, "chosen": True}]}
