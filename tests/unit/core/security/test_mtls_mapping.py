"""Principal mapping rules (Kafka's ssl.principal.mapping.rules syntax) and RFC 2253 names."""

from __future__ import annotations

import pytest

from core.security.mtls import MappingError, distinguished_name, map_principal, parse_rules

CERT = {
    "subject": (
        (("countryName", "US"),),
        (("organizationName", "Acme, Inc"),),
        (("organizationalUnitName", "ServiceUsers"),),
        (("commonName", "Alice"),),
    )
}


def test_the_name_is_rfc2253_most_specific_first_and_escaped():
    assert distinguished_name(CERT) == r"CN=Alice,OU=ServiceUsers,O=Acme\, Inc,C=US"


@pytest.mark.parametrize(
    "rules,principal",
    [
        (None, r"User:CN=Alice,OU=ServiceUsers,O=Acme\, Inc,C=US"),
        ([], r"User:CN=Alice,OU=ServiceUsers,O=Acme\, Inc,C=US"),
        (["RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/"], "User:Alice"),
        (["RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L"], "User:alice"),
        (["RULE:^CN=(.*?),OU=(.*?),.*$/$2.$1/U"], "User:SERVICEUSERS.ALICE"),
        (["RULE:^CN=Bob.*$/bob/", "DEFAULT"], r"User:CN=Alice,OU=ServiceUsers,O=Acme\, Inc,C=US"),
        (["RULE:^CN=(.*?),.*$/$1@acme\\/x/"], "User:Alice@acme/x"),
    ],
)
def test_rules_apply_in_order_first_match_wins(rules, principal):
    assert map_principal(CERT, rules) == principal


def test_no_matching_rule_or_no_certificate_refuses():
    with pytest.raises(MappingError, match="no principal mapping rule"):
        map_principal(CERT, ["RULE:^CN=Bob.*$/bob/"])
    with pytest.raises(MappingError, match="no certificate"):
        map_principal({}, None)


@pytest.mark.parametrize("rule", ["RULE:abc", "RULE:(/x/", "NOPE", "RULE:a/b/X"])
def test_bad_rules_are_refused(rule):
    with pytest.raises(MappingError):
        parse_rules((rule,))
