"""Signed tokens: bound to a purpose and a subject, expiring, and refused when altered."""

from __future__ import annotations

import pytest

from coach.channels.signing import (
    REST_PURPOSE,
    UPLOAD_PURPOSE,
    WEBCHAT_PURPOSE,
    InvalidToken,
    MissingSecret,
    bearer,
    sign,
    verify,
)

KEY = "a-test-key-of-enough-length"
NOW = 1_800_000_000.0


def test_a_token_verifies_for_its_purpose_and_subject() -> None:
    token = sign(WEBCHAT_PURPOSE, "webchat:abc", 60, secret=KEY, now=NOW, nonce="n1")
    claims = verify(token, WEBCHAT_PURPOSE, secret=KEY, now=NOW + 59)
    assert (claims.subject, claims.nonce, claims.expires_at) == ("webchat:abc", "n1", NOW + 60)


@pytest.mark.parametrize("other", [REST_PURPOSE, UPLOAD_PURPOSE])
def test_a_token_made_for_one_purpose_is_refused_for_another(other: str) -> None:
    token = sign(WEBCHAT_PURPOSE, "webchat:abc", 60, secret=KEY, now=NOW)
    with pytest.raises(InvalidToken):
        verify(token, other, secret=KEY, now=NOW)


def test_expired_altered_foreign_and_malformed_tokens_are_refused() -> None:
    token = sign(REST_PURPOSE, "demo-patient", 60, secret=KEY, now=NOW)
    with pytest.raises(InvalidToken, match="expired"):
        verify(token, REST_PURPOSE, secret=KEY, now=NOW + 60)
    body, mac = token.split(".")
    forged = sign(REST_PURPOSE, "someone-else", 60, secret=KEY, now=NOW).split(".")[0]
    for bad in (f"{forged}.{mac}", f"{body}.{mac[:-2]}xx", f"{body}.", "", "garbage", "é.é"):
        with pytest.raises(InvalidToken):
            verify(bad, REST_PURPOSE, secret=KEY, now=NOW)
    with pytest.raises(InvalidToken):
        verify(token, REST_PURPOSE, secret=KEY + "-other", now=NOW)


def test_no_signing_or_trusting_without_a_real_secret() -> None:
    with pytest.raises(MissingSecret):
        sign(REST_PURPOSE, "x", 60, secret="")
    with pytest.raises(MissingSecret):
        verify("a.b", REST_PURPOSE, secret="short")


def test_bearer_header() -> None:
    assert bearer("Bearer abc.def") == "abc.def"
    assert bearer("bearer  abc ") == "abc"
    assert bearer("Basic abc") == ""
    assert bearer(None) == ""
