"""`rpk profile prompt [--validate]`: the current profile's `prompt` (or globals.prompt) as
ANSI-escaped text for a PS1, with rpk's format: optional paren groups, each of colours and
modifiers plus one quoted string where %p / %n is the profile name and %% a percent sign."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.commands.profile import _store
from cli.errors import CliError
from cli.options import with_globals

_COLORS = ("black", "red", "green", "yellow", "blue", "magenta", "cyan", "white")
ATTRIBUTES: dict[str, int] = {
    **{c: 30 + i for i, c in enumerate(_COLORS)},
    **{f"hi-{c}": 90 + i for i, c in enumerate(_COLORS)},
    **{f"bg-{c}": 40 + i for i, c in enumerate(_COLORS)},
    **{f"bg-hi-{c}": 100 + i for i, c in enumerate(_COLORS)},
    "bold": 1,
    "faint": 2,
    "underline": 4,
    "invert": 7,
}
# the attribute-specific reset fatih/color (v1.18) writes after the text; 0 for colours
_RESETS = {1: 22, 2: 22, 4: 24, 7: 27}


class PromptError(ValueError):
    pass


def _attribute(word: str) -> int:
    code = ATTRIBUTES.get(word.strip().lower())
    if code is None:
        raise PromptError(f'invalid color or attribute "{word}"')
    return code


def split_parens(s: str) -> list[str]:
    """The paren groups of a prompt, or the whole prompt when it does not start with one."""
    s = s.strip()
    if not s:
        return []
    groups: list[str] = []
    current: list[str] = []
    only = s[0] != "("
    in_paren, in_quote, in_esc = only, False, False
    for c in s:
        if not in_paren:
            if c in " \t,":
                continue
            if c == "(":
                in_paren = True
                continue
            raise PromptError(f"unexpected character {c} while looking for paren group")
        if in_esc:
            in_esc = False
            current.append(c)
            continue
        if in_quote:
            if c == "\\":
                in_esc = True
            elif c == '"':
                in_quote = False
            current.append(c)
            continue
        if c == "\\":
            in_esc = True
        elif c == '"':
            in_quote = True
        elif c == ")":
            if only:
                raise PromptError("unexpected closing paren )")
            in_paren = False
            group = "".join(current).strip()
            if group:
                groups.append(group)
            current = []
            continue
        current.append(c)
    if only:
        if current:
            groups.append("".join(current))
    elif current:
        raise PromptError("prompt is missing closing paren")
    return groups


def parse_group(s: str, name: str) -> tuple[str, list[int]]:
    """(text, attribute codes) of one group."""
    buf: list[str] = []
    text: list[str] | None = None
    attrs: list[int] = []
    in_quote = False
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\":
            if not in_quote:
                raise PromptError("backslash is only allowed inside a quoted string")
            if i + 1 < len(s):
                buf.append(s[i + 1])
                i += 1
        elif c == '"':
            if in_quote:
                text = (text or []) + buf
                buf, in_quote = [], False
            elif text is not None:
                raise PromptError("only one quoted string can appear in a prompt, we saw a second")
            else:
                if "".join(buf).strip():
                    raise PromptError(
                        f'unexpected text "{"".join(buf).strip()}" before quoted string'
                    )
                buf, in_quote, text = [], True, []
        elif c in " \t," and not in_quote:
            word = "".join(buf).strip()
            if word:
                attrs.append(_attribute(word))
            buf = []
        else:
            buf.append(c)
        i += 1
    word = "".join(buf).strip()
    if word:
        attrs.append(_attribute(word))
    return _expand("".join(text or []), name, bool(s) and not text), attrs


def _expand(text: str, name: str, name_only: bool) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "%" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt in "pn":
                out.append(name)
            elif nxt == "%":
                out.append("%")
            else:
                raise PromptError(f"unknown escape %{nxt}")
            i += 2
            continue
        if c != "%":
            out.append(c)
        i += 1
    if name_only:
        out.append(name)
    return "".join(out)


def colored(text: str, attrs: list[int]) -> str:
    on = ";".join(str(a) for a in attrs)
    off = ";".join(str(_RESETS.get(a, 0)) for a in attrs)
    return f"\x1b[{on}m{text}\x1b[{off}m"


def render(prompt: str, name: str) -> str:
    return "".join(colored(*parse_group(g, name)) for g in split_parens(prompt))


@with_globals
def profile_prompt(
    validate: Annotated[
        bool,
        typer.Option("--validate", help="Exit with an error message if the prompt is invalid."),
    ] = False,
) -> None:
    """Prompt a profile name formatted for a PS1 prompt.

    This command prints ANSI-escaped text per your current profile's "prompt" field. If the
    current profile does not have a prompt, this prints nothing. If the prompt is invalid,
    this exits 0 with no message. To validate the current prompt, use the --validate flag.

    The "prompt" field supports space or comma separated modifiers (colors: black, red, green,
    yellow, blue, magenta, cyan, white, with "hi-" and "bg-" prefixes; bold, faint, underline,
    invert) and a quoted string in which %p or %n is the profile name; wrap several formatted
    sections in parentheses: ("--") (hi-white bg-red bold "[%p]").
    """
    try:
        text = _current_prompt()
    except PromptError as exc:
        if validate:
            raise CliError(str(exc)) from None
        return
    if validate:
        print(f"Prompt ok! Output:\nvvv\n{text}\n^^^")
    else:
        print(text, end="")


def _current_prompt() -> str:
    rpk = _store.load()
    if not rpk.exists:
        raise PromptError("rpk.yaml file is missing or cannot be loaded")
    profile = rpk.profile(rpk.current_profile)
    if profile is None:
        raise PromptError(f'current profile "{rpk.current_profile}" does not exist')
    prompt = profile.get("prompt") or rpk.globals.get("prompt") or ""
    return render(str(prompt), str(profile.get("name", "")))


def register(app: typer.Typer) -> None:
    app.command("prompt")(profile_prompt)
