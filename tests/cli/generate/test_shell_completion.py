"""rpk generate shell-completion prints a script, and the script's protocol completes rpk's commands."""

from __future__ import annotations

import pytest

from tests.cli.conftest import run_subprocess


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


def test_completion_protocol(home):
    env = {"_RPK_COMPLETE": "complete_bash", "COMP_WORDS": "rpk to", "COMP_CWORD": "1"}
    res = run_subprocess([], home, env=env)
    assert res.exit_code == 0 and res.stdout.split() == ["topic"]
