"""Spill files: where the click writer (tracking/writer.py) keeps what it cannot write while the
database does not answer, and from where it writes it back.

A folder holds each writer process's files, `<name>-<token>-<seq>.jsonl`, and its lock file
`<name>-<token>.lock`, which the process holds (flock) while it lives. A token whose lock can be
taken belongs to a process that is gone (a pid would not do: a restarted container reuses pids):
the next writer to start claims its files. Each file is append-only JSON lines after a header line
holding the file's own id; a line is an item, or `{"batch": id, "items": [...]}`, a batch whose
fate was unknown when its process stopped, to be written again under that same id.

`<file>.done` records how far the file is written, and before each chunk is written, which chunk
(its offsets) is being written: a process that dies mid-chunk leaves the same chunk, under the
same id (derived from the file id and the offsets), to be written again, so a chunk that did
commit is skipped rather than counted twice.
"""

import fcntl
import json
import logging
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


def derived_id(parent: str, part: str) -> str:
    """A batch id made from another, the same every time (a split half, a chunk of a file)."""
    return str(uuid.uuid5(uuid.UUID(parent), part))


@dataclass
class SpillChunk:
    """Consecutive lines of one spill file, written as one batch under `batch_id`."""

    spill: "SpillFile"
    start: int
    end: int
    items: list
    batch_id: str


@dataclass
class SpillFile:
    path: Path
    file_id: str = ""
    done: int = 0
    writing: tuple | None = None  # (start, end) of the chunk being written, from `.done`
    read_offset: int = 0
    pending: int = 0  # items not yet handed out as chunks
    counted: int = field(default=0, repr=False)

    @classmethod
    def create(cls, path: Path) -> "SpillFile":
        file_id = str(uuid.uuid4())
        with path.open("x", encoding="utf-8") as handle:
            handle.write(json.dumps({"spill": file_id}) + "\n")
        spill = cls(path, file_id)
        spill.done = spill.read_offset = path.stat().st_size
        return spill

    @classmethod
    def open(cls, path: Path) -> "SpillFile":
        with path.open("rb") as handle:
            header = handle.readline()
            file_id = json.loads(header)["spill"]
            start = handle.tell()
            pending = sum(_line_items(line) for line in handle if line.endswith(b"\n"))
        spill = cls(path, file_id)
        state = _read_json(spill.done_path) or {}
        spill.done = max(int(state.get("done", start)), start)
        spill.writing = tuple(state["writing"]) if state.get("writing") else None
        spill.read_offset = spill.done
        spill.pending = pending - spill._items_before(spill.done, start)
        return spill

    @property
    def done_path(self) -> Path:
        return self.path.with_suffix(".done")

    def append(self, lines: list):
        """Append items, or ("batch", id, items) entries; returns how many items were added."""
        added = 0
        with self.path.open("a", encoding="utf-8") as handle:
            for line in lines:
                if isinstance(line, tuple):
                    _, batch_id, items = line
                    handle.write(json.dumps({"batch": batch_id, "items": items}, separators=(",", ":")) + "\n")
                    added += len(items)
                else:
                    handle.write(json.dumps(line, separators=(",", ":")) + "\n")
                    added += 1
        self.pending += added
        return added

    def chunk(self, max_items: int) -> SpillChunk | None:
        """The next chunk to write (None: nothing left); its offsets are recorded first."""
        start = self.read_offset
        stop_at = self.writing[1] if self.writing and self.writing[0] == start else None
        items, batch_id, end = [], None, start
        with self.path.open("rb") as handle:
            handle.seek(start)
            while stop_at is None or end < stop_at:
                line = handle.readline()
                if not line.endswith(b"\n"):
                    break  # the end (or a line still being written)
                value = _parse(line, self.path)
                if isinstance(value, dict):  # a whole batch, under its own id
                    if items:
                        break
                    items, batch_id, end = value["items"], value["batch"], handle.tell()
                    break
                if value is not _CORRUPT:
                    items.append(value)
                end = handle.tell()
                if stop_at is None and len(items) >= max_items:
                    break
        if end == start:
            return None
        batch_id = batch_id or derived_id(self.file_id, f"{start}-{end}")
        self._record(writing=(start, end))
        self.read_offset = end
        self.pending -= len(items)
        return SpillChunk(self, start, end, items, batch_id)

    def written_through(self, end: int) -> None:
        self.done, self.writing = max(self.done, end), None
        self._record()

    def exhausted(self) -> bool:
        return self.done >= self.path.stat().st_size

    def remove(self):
        self.path.unlink(missing_ok=True)
        self.done_path.unlink(missing_ok=True)

    def _record(self, writing=None):
        temporary = self.done_path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"done": self.done, "writing": list(writing) if writing else None}))
        temporary.replace(self.done_path)
        self.writing = writing

    def _items_before(self, offset: int, start: int) -> int:
        with self.path.open("rb") as handle:
            handle.seek(start)
            count = 0
            while handle.tell() < offset and (line := handle.readline()).endswith(b"\n"):
                count += _line_items(line)
            return count


class SpillFolder:
    """This process's files in a folder, and the claim of files whose process is gone."""

    def __init__(self, folder: Path, name: str):
        self.folder, self.name = Path(folder), name
        self.token = uuid.uuid4().hex[:12]
        self._lock_handle = None
        self._seq = 0

    def new_file(self, *, older: bool = False) -> SpillFile:
        """A new file of this process; `older`: its items come before those of its other files."""
        self._hold_lock()
        self._seq += 1
        order = f"000000-{self._seq:06d}" if older else f"{self._seq:06d}"
        return SpillFile.create(self.folder / f"{self.name}-{self.token}-{order}.jsonl")

    def claim_orphans(self) -> list[SpillFile]:
        """The files of writers that are gone, renamed to this process, oldest first."""
        if not self.folder.exists():
            return []
        self._hold_lock()
        claimed = []
        for lock_path in sorted(self.folder.glob(f"{self.name}-*.lock")):
            token = lock_path.name[len(self.name) + 1 : -len(".lock")]
            if token == self.token or not _lock_free(lock_path):
                continue
            for path in sorted(self.folder.glob(f"{self.name}-{token}-*.jsonl")):
                target = path.with_name(f"{self.name}-{self.token}-claimed-{path.name[len(self.name) + 1 :]}")
                try:
                    if path.with_suffix(".done").exists():
                        path.with_suffix(".done").rename(target.with_suffix(".done"))
                    path.rename(target)
                    claimed.append(SpillFile.open(target))
                except (OSError, ValueError, KeyError):
                    logger.exception("spill file %s could not be claimed", path)
            lock_path.unlink(missing_ok=True)
        return claimed

    def release(self):
        """After a fork: the child's files get a token of their own (the lock stays the parent's)."""
        if self._lock_handle is not None:
            self._lock_handle.close()
        self.__init__(self.folder, self.name)

    def _hold_lock(self):
        if self._lock_handle is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._lock_handle = (self.folder / f"{self.name}-{self.token}.lock").open("a")
            fcntl.flock(self._lock_handle, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _lock_free(path: Path) -> bool:
    """True if nobody holds `path`'s lock (its process is gone). The check takes and drops it."""
    try:
        with path.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(handle, fcntl.LOCK_UN)
            return True
    except BlockingIOError:
        return False
    except OSError:
        return False


_CORRUPT = object()


def _parse(line: bytes, path: Path) -> Any:
    try:
        return json.loads(line)
    except ValueError:
        logger.error("spill file %s: an unreadable line was skipped", path)
        return _CORRUPT


def _line_items(line: bytes) -> int:
    value = _parse(line, Path("?"))
    if isinstance(value, dict):
        return len(value.get("items", []))
    return 0 if value is _CORRUPT else 1


def _read_json(path: Path):
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return None


def process_id() -> int:
    return os.getpid()
