from __future__ import annotations

import pytest

from domain.labels import (
    LabelError,
    label_payload,
    new_site_key,
    normalise_short_code,
    public_key_of,
    read_label,
    short_codes_match,
)


def test_genuine_label_reads_back_its_site_and_point():
    key = new_site_key()
    payload = label_payload("alpha", "c01", key)
    assert payload.startswith("RND1.alpha.c01.")
    label = read_label(payload, {"alpha": public_key_of(key)})
    assert (label.site_id, label.point_id) == ("alpha", "c01")


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda p: "https://example.com/not-ours", "not_ours"),
        (lambda p: p.replace("RND1.alpha", "RND1.beta"), "other_site"),
        (lambda p: p.replace(".c01.", ".c02."), "bad_signature"),
        (lambda p: p[:-4] + "AAAA", "bad_signature"),
        (lambda p: p + "x", "bad_signature"),
    ],
)
def test_foreign_forged_or_damaged_labels_are_refused(make, reason):
    key = new_site_key()
    payload = make(label_payload("alpha", "c01", key))
    with pytest.raises(LabelError) as exc:
        read_label(payload, {"alpha": public_key_of(key)})
    assert exc.value.reason == reason


def test_label_signed_by_another_sites_key_fails():
    payload = label_payload("alpha", "c01", new_site_key())
    with pytest.raises(LabelError, match="signature"):
        read_label(payload, {"alpha": public_key_of(new_site_key())})


def test_ids_with_separator_are_refused():
    with pytest.raises(ValueError):
        label_payload("al.pha", "c01", new_site_key())


@pytest.mark.parametrize(
    "typed",
    [
        "04A1B2",
        "04a1b2",
        "04:a1:b2",
        "04 A1 B2",
        " 04-a1-b2 ",
        "０４Ａ１Ｂ２",
        "０４：ａ１：ｂ２",
        "04\u3000A1\u3000B2",
    ],
)
def test_typed_short_codes_match_whatever_case_separators_or_width(typed):
    assert normalise_short_code(typed) == "04A1B2"
    assert short_codes_match(typed, "04A1B2")
    assert short_codes_match(typed, "04-a1-b2")


@pytest.mark.parametrize("typed", ["04A1B3", "04A1B", "", " : - "])
def test_other_codes_and_empty_ones_do_not_match(typed):
    assert not short_codes_match(typed, "04A1B2")
    assert not short_codes_match(typed, "")


def test_a_reprinted_label_reads_back_its_serial_and_a_first_print_serial_0():
    key = new_site_key()
    keys = {"alpha": public_key_of(key)}
    reprint = label_payload("alpha", "c01", key, serial=7)
    assert reprint.startswith("RND2.alpha.c01.7.")
    assert read_label(reprint, keys).serial == 7
    assert read_label(label_payload("alpha", "c01", key), keys).serial == 0
    assert read_label(f"  {reprint}\n", keys).point_id == "c01"  # a scanner's whitespace


@pytest.mark.parametrize(
    "payload",
    [
        "RND1.alpha.c01.7.{sig}",  # a first print's prefix on a reprint's shape
        "RND2.alpha.c01.{sig}",  # a reprint without its serial
        "RND2.alpha.c01.0.{sig}",  # serials start at 1
        "RND2.alpha.c01.07.{sig}",
        "RND2.alpha.c01.x.{sig}",
        "RND2.alpha.c01.7.8.{sig}",
        "RND9.alpha.c01.{sig}",
        "XYZ2.alpha.c01.7.{sig}",
        "RND1.al$pha.c01.{sig}",
        "RND1.alpha.c$01.{sig}",
    ],
)
def test_payloads_not_shaped_like_our_labels_are_not_ours(payload):
    key = new_site_key()
    sig = label_payload("alpha", "c01", key).rsplit(".", 1)[1]
    with pytest.raises(LabelError) as exc:
        read_label(payload.format(sig=sig), {"alpha": public_key_of(key), "al$pha": "x"})
    assert exc.value.reason == "not_ours"


def test_each_refusal_says_why_in_words_the_person_sees():
    key = new_site_key()
    good = label_payload("alpha", "c01", key)
    keys = {"alpha": public_key_of(key)}
    said = {}
    for payload in ("hello", good.replace("RND1.alpha", "RND1.beta"), good[:-4] + "AAAA"):
        with pytest.raises(LabelError) as exc:
            read_label(payload, keys)
        said[exc.value.reason] = str(exc.value)
    assert said == {
        "not_ours": "This QR code is not a Rounds label.",
        "other_site": "This label belongs to another site.",
        "bad_signature": "This label failed its signature check.",
    }
