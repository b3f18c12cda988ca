"""rpk generate shell-completion prints a script, and the script's protocol completes rpk's commands."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    "shell,marker",
    [("bash", "complete -o"), ("zsh", "compdef"), ("fish", "complete --command rpk")],
)
def test_script_printed(rpk, shell, marker):
    res = rpk(["generate", "shell-completion", shell])
    assert res.exit_code == 0 and marker in res.stdout and "_RPK_COMPLETE" in res.stdout


def test_unknown_shell(rpk):
    res = rpk(["generate", "shell-completion", "tcsh"])
    assert res.exit_code == 1 and "unsupported shell" in res.stderr


def test_completion_protocol(rpk_subprocess):
    """What a shell runs: the rpk process itself, driven by environment variables."""
    env = {"_RPK_COMPLETE": "complete_bash", "COMP_WORDS": "rpk to", "COMP_CWORD": "1"}
    res = rpk_subprocess([], env=env)
    assert res.exit_code == 0 and res.stdout.split() == ["topic"]
