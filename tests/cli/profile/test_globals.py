"""rpk profile print-globals, set-globals and edit-globals over rpk.yaml's `globals:` section (real files)."""

from __future__ import annotations

import sys

import yaml

ZERO_GLOBALS = {
    "prompt": "",
    "no_default_cluster": False,
    "command_timeout": "0s",
    "dial_timeout": "0s",
    "request_timeout_overhead": "0s",
    "retry_timeout": "0s",
    "fetch_max_wait": "0s",
    "kafka_protocol_request_client_id": "",
}


def _rpk_yaml(home):
    path = home / ".config" / "rpk" / "rpk.yaml"
    return yaml.safe_load(path.read_text()) if path.exists() else None


def test_print_globals_without_a_file_prints_zero_values_in_rpk_order(rpk, home):
    res = rpk(["profile", "print-globals"])
    assert res.exit_code == 0, res.stderr
    assert list(yaml.safe_load(res.stdout).items()) == list(ZERO_GLOBALS.items())
    assert _rpk_yaml(home) is None  # printing writes nothing


def test_set_globals_writes_the_section_and_keeps_profiles(rpk, home):
    assert rpk(["profile", "create", "dev", "-s", "brokers=10.0.0.1:9092"]).exit_code == 0
    res = rpk(
        [
            "profile",
            "set-globals",
            "globals.dial_timeout=7s",
            "fetch_max_wait=1s",
            "no_default_cluster=true",
            'prompt=bg-red "%n"',
            "kafka_protocol_request_client_id=me",
        ]
    )
    assert res.exit_code == 0, res.stderr
    assert 'Set key "globals.dial_timeout" in rpk globals.' in res.stdout
    doc = _rpk_yaml(home)
    assert doc["globals"] == {
        "dial_timeout": "7s",
        "fetch_max_wait": "1s",
        "no_default_cluster": True,
        "prompt": 'bg-red "%n"',
        "kafka_protocol_request_client_id": "me",
    }
    assert doc["current_profile"] == "dev"
    assert doc["profiles"][0]["kafka_api"]["brokers"] == ["10.0.0.1:9092"]
    printed = yaml.safe_load(rpk(["profile", "print-globals"]).stdout)
    assert printed == {**ZERO_GLOBALS, **doc["globals"]}


def test_set_globals_rejects_bad_keys_and_values_without_writing(rpk, home):
    assert rpk(["profile", "set-globals", "dial_timeout=2s"]).exit_code == 0
    for pair, needle in (
        ("bogus=1", 'unknown globals key "bogus"'),
        ("dial_timeout=soon", "invalid duration"),
        ("no_default_cluster=maybe", "invalid boolean"),
        ("brokers=x:1", "unknown globals key"),
        ("novalue", "expected key=value"),
    ):
        res = rpk(["profile", "set-globals", "retry_timeout=9s", pair])
        assert res.exit_code == 1, pair
        assert needle in res.stderr and "\n" not in res.stderr.strip()
    assert _rpk_yaml(home)["globals"] == {"dial_timeout": "2s"}


def _editor(tmp_path, body: str) -> dict:
    script = tmp_path / "editor.py"
    script.write_text(
        "import sys, yaml\npath = sys.argv[1]\ndoc = yaml.safe_load(open(path))\n" + body
    )
    return {"EDITOR": f"{sys.executable} {script}"}


def test_edit_globals_round_trips_through_the_editor(rpk, home, tmp_path):
    assert rpk(["profile", "set-globals", "dial_timeout=2s"]).exit_code == 0
    env = _editor(
        tmp_path,
        "assert doc['dial_timeout'] == '2s', doc\n"
        "doc['retry_timeout'] = '45s'\ndoc['dial_timeout'] = '0s'\ndoc['no_default_cluster'] = True\n"
        "open(path, 'w').write(yaml.safe_dump(doc))\n",
    )
    res = rpk(["profile", "edit-globals"], env=env)
    assert res.exit_code == 0, res.stderr
    assert "updated" in res.stdout
    # zero values are rpk's "unset": they are not written out
    assert _rpk_yaml(home)["globals"] == {"retry_timeout": "45s", "no_default_cluster": True}


def test_edit_globals_rejects_bad_edits_and_keeps_the_file(rpk, home, tmp_path):
    assert rpk(["profile", "set-globals", "dial_timeout=2s"]).exit_code == 0
    for body, needle in (
        ("doc['bogus'] = 1\n", 'unknown globals key "bogus"'),
        ("doc['command_timeout'] = 'later'\n", "invalid duration"),
        ("doc = [1]\n", "not a YAML mapping"),
    ):
        env = _editor(tmp_path, body + "open(path, 'w').write(yaml.safe_dump(doc))\n")
        res = rpk(["profile", "edit-globals"], env=env)
        assert res.exit_code == 1, body
        assert needle in res.stderr
    assert _rpk_yaml(home)["globals"] == {"dial_timeout": "2s"}


def test_zero_duration_global_means_the_default(rpk, kafka_env):
    # what edit-globals shows for unset durations (0s) must not become a zero timeout
    assert (
        rpk(["profile", "set-globals", "dial_timeout=0s", "request_timeout_overhead=0s"]).exit_code
        == 0
    )
    res = rpk(["topic", "list"], env=kafka_env)
    assert res.exit_code == 0, res.stderr


def test_params_treat_zero_durations_as_unset():
    from cli.config.params import Params

    p = Params(
        profile_name="x",
        brokers=(),
        admin_hosts=(),
        registry_hosts=(),
        globals={"dial_timeout": "0s", "fetch_max_wait": "250ms", "retry_timeout": "0"},
    )
    assert (p.seconds("dial_timeout"), p.seconds("fetch_max_wait"), p.seconds("retry_timeout")) == (
        3.0,
        0.25,
        30.0,
    )
