"""rpk profile prompt: the current profile's prompt as rpk renders it (fatih/color escapes)."""

from __future__ import annotations

import pytest


def make_profile(rpk, prompt: str | None, name: str = "dev") -> None:
    assert rpk(["profile", "create", name]).exit_code == 0
    if prompt is not None:
        result = rpk(["profile", "set", f"prompt={prompt}"])
        assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ('hi-white, bg-red, bold, "[%p]"', "\x1b[97;41;1m[dev]\x1b[0;0;22m"),
        ('hi-red  "PROD"', "\x1b[91mPROD\x1b[0m"),
        ("green", "\x1b[32mdev\x1b[0m"),
        ('("--") (underline "%n 100%%")', "\x1b[m--\x1b[m\x1b[4mdev 100%\x1b[24m"),
        ('bold "a\\"b"', '\x1b[1ma"b\x1b[22m'),
    ],
)
def test_prompt_renders_rpk_escapes(rpk, prompt, expected):
    make_profile(rpk, prompt)
    result = rpk(["profile", "prompt"])
    assert result.exit_code == 0
    assert result.stdout == expected


def test_no_prompt_prints_nothing_and_globals_prompt_is_the_fallback(rpk):
    make_profile(rpk, None)
    assert rpk(["profile", "prompt"]).stdout == ""
    assert rpk(["profile", "set-globals", 'prompt=bold "%p!"']).exit_code == 0
    assert rpk(["profile", "prompt"]).stdout == "\x1b[1mdev!\x1b[22m"


def test_invalid_prompt_is_silent_unless_validated(rpk):
    make_profile(rpk, 'purple "x"')
    quiet = rpk(["profile", "prompt"])
    assert quiet.exit_code == 0 and quiet.stdout == "" and quiet.stderr == ""
    loud = rpk(["profile", "prompt", "--validate"])
    assert loud.exit_code == 1
    assert loud.stderr.strip() == 'invalid color or attribute "purple"'


def test_validate_frames_a_valid_prompt(rpk):
    make_profile(rpk, 'red "%x"')
    assert rpk(["profile", "prompt", "--validate"]).stderr.strip() == "unknown escape %x"
    assert rpk(["profile", "set", 'prompt=red "ok"']).exit_code == 0
    result = rpk(["profile", "prompt", "--validate"])
    assert result.exit_code == 0
    assert result.stdout == "Prompt ok! Output:\nvvv\n\x1b[31mok\x1b[0m\n^^^\n"


def test_without_rpk_yaml_validate_says_so(rpk):
    result = rpk(["profile", "prompt", "--validate"])
    assert result.exit_code == 1
    assert result.stderr.strip() == "rpk.yaml file is missing or cannot be loaded"
