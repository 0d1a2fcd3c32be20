"""The one signed-cursor codec: values round-trip under their salt; anything else
(garbage, tampering, another list's salt, a payload that is not a list) decodes to None
and never raises."""

from __future__ import annotations

import base64

import pytest
from django.core import signing

from accounts import views as account_views
from core import cursors
from sops import selectors as sop_selectors
from tickets import selectors as ticket_selectors

SALT = "tests.core-cursor"


def _signed_raw(payload: str) -> str:
    """A correctly signed token whose payload is whatever bytes we like, as only a holder
    of the secret key could make it: the codec must still refuse it quietly."""
    return signing.TimestampSigner(salt=SALT).sign(payload)


@pytest.mark.parametrize(
    "values",
    [["updated", "2025-01-02T03:04:05+00:00", 17], ["Ärger mit Ümlauten", 3], [], [None, 1.5]],
)
def test_values_round_trip_under_their_salt(values):
    assert cursors.decode(cursors.encode(values, salt=SALT), salt=SALT) == values


def test_a_tuple_comes_back_as_a_list():
    assert cursors.decode(cursors.encode(("Ada", 7), salt=SALT), salt=SALT) == ["Ada", 7]


@pytest.mark.parametrize(
    "garbage",
    ["", "junk", ":", "::", "a:b:c", "é:ü:ß", "\x00", "x" * 5000, ".eJw:abc:def",
     "W10:1tWxyz:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"],
)  # fmt: skip
def test_garbage_decodes_to_none(garbage):
    assert cursors.decode(garbage, salt=SALT) is None


@pytest.mark.parametrize("not_a_string", [None, 12, ["a"], b"bytes"])
def test_a_value_that_is_not_a_string_decodes_to_none(not_a_string):
    assert cursors.decode(not_a_string, salt=SALT) is None  # type: ignore[arg-type]


def test_every_one_character_tampering_is_refused():
    token = cursors.encode(["priority", 2, 41], salt=SALT)
    for position, char in enumerate(token):
        swapped = "A" if char != "A" else "B"
        assert cursors.decode(token[:position] + swapped + token[position + 1 :], salt=SALT) is None


def test_a_truncated_or_extended_token_is_refused():
    token = cursors.encode(["priority", 2, 41], salt=SALT)
    assert cursors.decode(token[:-1], salt=SALT) is None
    assert cursors.decode(token + "A", salt=SALT) is None


def test_a_cursor_signed_with_another_salt_is_refused():
    token = cursors.encode(["title", 3], salt="tickets.queue-cursor")
    assert cursors.decode(token, salt="sops.library-cursor") is None
    assert cursors.decode(token, salt="tickets.queue-cursor") == ["title", 3]


@pytest.mark.parametrize("payload", [{"sort": "urgency"}, "a string", 42, None, True, 1.5])
def test_a_signed_payload_that_is_not_a_list_decodes_to_none(payload):
    assert cursors.decode(signing.dumps(payload, salt=SALT, compress=True), salt=SALT) is None
    assert cursors.decode(cursors.encode(payload, salt=SALT), salt=SALT) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "payload",
    [".!!not base64!!", "." + base64.urlsafe_b64encode(b"not zlib").decode().rstrip("="),
     base64.urlsafe_b64encode(b"{not json").decode().rstrip("="),
     base64.urlsafe_b64encode(b"\xff\xfe").decode().rstrip("="), ""],
)  # fmt: skip
def test_a_signed_but_unreadable_payload_decodes_to_none(payload):
    assert cursors.decode(_signed_raw(payload), salt=SALT) is None


@pytest.mark.parametrize("compress", [True, False])
def test_cursors_made_before_the_codec_still_decode(compress):
    # The three lists signed with signing.dumps, the roster without compression.
    old = signing.dumps(["Ada Lovelace", 7], salt=SALT, compress=compress)
    assert cursors.decode(old, salt=SALT) == ["Ada Lovelace", 7]


def test_each_list_keeps_its_salt_so_cursors_in_use_stay_valid():
    assert ticket_selectors._CURSOR_SALT == "tickets.queue-cursor"
    assert sop_selectors._CURSOR_SALT == "sops.library-cursor"
    assert account_views._CURSOR_SALT == "accounts.roster"


def test_the_queue_and_library_cursors_go_through_the_codec():
    queue = ticket_selectors._encode_cursor(["updated", "2025-01-02T03:04:05+00:00", 9])
    assert cursors.decode(queue, salt="tickets.queue-cursor") is not None
    assert ticket_selectors._decode_cursor("junk") is None
    assert ticket_selectors._decode_cursor("") is None
    library = sop_selectors._encode_cursor("Password resets", 4)
    assert sop_selectors._decode_cursor(library) == ("Password resets", 4)
    assert sop_selectors._decode_cursor(queue) is None  # another list's salt
    assert (
        sop_selectors._decode_cursor(cursors.encode(["a", "b", "c"], salt="sops.library-cursor"))
        is None
    )
    assert (
        sop_selectors._decode_cursor(cursors.encode(["a", "not a pk"], salt="sops.library-cursor"))
        is None
    )
