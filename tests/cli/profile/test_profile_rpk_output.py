"""`profile set` and `profile print` write what rpk writes (yaml.v3 layout, zero-value fields)."""

from __future__ import annotations


def test_profile_set_and_print_as_rpk(rpk):
    created = rpk(["profile", "create", "dev", "-s", "brokers=a:1,b:2"])
    assert created.exit_code == 0, created.stderr
    res = rpk(["profile", "set", "pass=p", "admin.hosts=h:9644", "user=u"])
    assert res.exit_code == 0, res.stderr
    assert res.stdout == 'Profile "dev" updated successfully.\n'
    printed = rpk(["profile", "print"])
    assert printed.exit_code == 0, printed.stderr
    assert printed.stdout == (
        "name: dev\n"
        'description: ""\n'
        'prompt: ""\n'
        "from_cloud: false\n"
        "kafka_api:\n"
        "    brokers:\n"
        "        - a:1\n"
        "        - b:2\n"
        "    sasl:\n"
        "        user: u\n"
        "        password: p\n"
        "admin_api:\n"
        "    addresses:\n"
        "        - h:9644\n"
        "schema_registry: {}\n"
        "\n"
    )
