"""The partition replicas' directories on disk: `<data>/kafka/<topic>/<index>_<revision>`.

A replica that leaves this node (its topic deleted, the partition moved away) is renamed
into `<data>/.trash` at once, so a topic of the same name can be created next, and deleted
off the event loop; a crash before that deletion finishes leaves it in the trash, which the
next start empties together with any directory no replica hosted here owns."""

from __future__ import annotations

import asyncio
import logging
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger("ailurus.partitions")

KAFKA_NAMESPACE = "kafka"
TRASH_DIR = ".trash"  # beside the namespaces: deleted topics wait here for removal

# (topic, index, revision) -> whether a replica hosted here owns that directory
Owned = Callable[[str, int, int], bool]


def replica_dir(root: Path, topic: str, index: int, revision: int) -> Path:
    return root / topic / f"{index}_{revision}"


def remove_in_background(path: Path, trash: Path) -> None:
    """Rename `path` into `trash` now, delete it in the default executor."""
    if not path.exists():
        return
    trash.mkdir(parents=True, exist_ok=True)
    aside = trash / f"{path.name}-{uuid.uuid4().hex[:8]}"
    path.rename(aside)
    asyncio.get_running_loop().run_in_executor(None, shutil.rmtree, aside, True)


def remove_orphans(
    root: Path, trash: Path, owned: Owned, topic_exists: Callable[[str], bool]
) -> None:
    """Empty the trash (deletions a crash interrupted), then remove every replica directory
    under `root` no replica owns, and every topic directory of a topic that no longer exists."""
    shutil.rmtree(trash, ignore_errors=True)
    if not root.exists():
        return
    for topic_dir in root.iterdir():
        exists = topic_exists(topic_dir.name)
        for part_dir in topic_dir.iterdir() if topic_dir.is_dir() else []:
            idx, _, rev = part_dir.name.partition("_")
            keep = exists and idx.isdigit() and rev.isdigit()
            if not (keep and owned(topic_dir.name, int(idx), int(rev))):
                log.info("removing stale replica directory %s", part_dir)
                shutil.rmtree(part_dir, ignore_errors=True)
        if not exists:
            shutil.rmtree(topic_dir, ignore_errors=True)
