"""SASLprep (RFC 4013) examples from its section 3, and the tables it refuses."""

import pytest

from core.security.saslprep import SaslPrepError, saslprep


@pytest.mark.parametrize(
    "given,expected",
    [
        ("I\u00adX", "IX"),  # SOFT HYPHEN mapped to nothing
        ("user", "user"),
        ("USER", "USER"),  # case preserved
        ("\u00aa", "a"),  # NFKC
        ("\u2168", "IX"),  # NFKC
        ("a\u00a0b", "a b"),  # non-ASCII space to SPACE
    ],
)
def test_rfc4013_examples(given, expected):
    assert saslprep(given) == expected


@pytest.mark.parametrize("bad", ["\u0007", "a\u0627b", "\u0627\u0031"])
def test_prohibited_and_bidi_strings_are_refused(bad):
    with pytest.raises(SaslPrepError):
        saslprep(bad)


def test_unassigned_code_points_only_refused_for_stored_strings():
    assert saslprep("a\u0221") == "a\u0221"
    with pytest.raises(SaslPrepError):
        saslprep("a\u0221", allow_unassigned=False)
