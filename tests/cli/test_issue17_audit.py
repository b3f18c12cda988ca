"""Issue 17 audit: hidden aliases rpk still accepts."""

from __future__ import annotations


def test_status_is_the_deprecated_hidden_copy_of_debug_info(rpk):
    result = rpk(["status"])
    assert result.exit_code == 0 and result.stdout == ""
    assert result.stderr == 'Command "status" is deprecated, use "rpk debug info" instead\n'
    for args in (["debug", "info"], ["debug", "status", "--send", "--timeout", "1s"]):
        quiet = rpk(args)
        assert (quiet.exit_code, quiet.stdout, quiet.stderr) == (0, "", "")
    listed = rpk(["--help"]).stdout
    assert "  status " not in listed and "  debug " in listed
