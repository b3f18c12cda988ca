"""BanIrqs: add `--banirq=<n>` options to irqbalance's config, computed from the file as it is
when the command runs (so several tuners rendering into one script compose correctly)."""

from __future__ import annotations

import hashlib
import shlex
from dataclasses import dataclass

from tuners.executors.commands import rooted
from tuners.fs import RootFs
from tuners.system.irq import with_banned

# The shell twin of tuners.system.irq.with_banned, for the rendered script.
_AWK_PROGRAM = r"""
{ lines[NR] = $0; text = text $0 "\n" }
END {
  n = split(irqs, list, " "); add = ""
  for (i = 1; i <= n; i++) if (text !~ ("--banirq=" list[i] "([^0-9]|$)")) add = add " --banirq=" list[i]
  done = (add == "")
  for (i = 1; i <= NR; i++) {
    line = lines[i]
    if (!done && match(line, "^[ \t]*" key "=")) {
      value = substr(line, RLENGTH + 1)
      first = substr(value, 1, 1); last = substr(value, length(value), 1)
      if (length(value) >= 2 && first == last && (first == "\"" || first == sprintf("%c", 39)))
        value = substr(value, 2, length(value) - 2)
      value = value add; gsub(/^[ \t]+|[ \t]+$/, "", value)
      line = key "=\"" value "\""; done = 1
    }
    print line
  }
  if (!done) { value = add; sub(/^ /, "", value); print key "=\"" value "\"" }
}
"""


@dataclass(frozen=True)
class BanIrqs:
    path: str
    key: str
    irqs: tuple[int, ...]

    def execute(self, fs: RootFs) -> None:
        with open(fs.path(self.path), encoding="utf-8") as f:
            text = f.read()
        updated = with_banned(text, self.key, list(self.irqs))
        if updated == text:
            return
        digest = hashlib.sha256(text.encode()).hexdigest()[:32]
        with open(fs.path(f"{self.path}.ailurus.{digest}.bk"), "w", encoding="utf-8") as f:
            f.write(text)
        with open(fs.path(self.path), "w", encoding="utf-8") as f:
            f.write(updated)

    def render(self, fs: RootFs) -> list[str]:
        target = rooted(self.path)
        irqs = " ".join(str(i) for i in self.irqs)
        return [
            f"awk -v key={shlex.quote(self.key)} -v irqs={shlex.quote(irqs)} "
            f"{shlex.quote(_AWK_PROGRAM.strip())} {target} > {target}.ailurus-new",
            f"if ! cmp -s {target}.ailurus-new {target}; then",
            f"  file_hash=$(sha256sum {target} | cut -c -32)",
            f'  cp {target} {target}".ailurus.${{file_hash}}.bk"',
            f"  cat {target}.ailurus-new > {target}",
            "fi",
            f"rm -f {target}.ailurus-new",
        ]
