"""Local file storage that never leaves a half-written file under a real name.

Every file is written to ``<name>.part-<random>`` beside its final place, flushed to disk, and
moved into place with ``os.replace`` (atomic on one file system). A write that fails (a full
disk, a killed process) leaves at most a ``.part-`` file, never a truncated export that looks
finished; the failed write removes its own part file.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from typing import Any

from django.core.files.storage import FileSystemStorage


class AtomicFileSystemStorage(FileSystemStorage):
    def _save(self, name: str, content: Any) -> str:
        full_path = self.path(name)
        directory = os.path.dirname(full_path)
        os.makedirs(directory, exist_ok=True)
        if self.directory_permissions_mode is not None:
            os.chmod(directory, self.directory_permissions_mode)
        # Storage.save chose a free name just before; the part file is ours alone (O_EXCL).
        part = f"{full_path}.part-{secrets.token_hex(8)}"
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        try:
            with os.fdopen(fd, "wb") as file:
                for chunk in content.chunks():
                    file.write(chunk.encode() if isinstance(chunk, str) else chunk)
                file.flush()
                os.fsync(file.fileno())
            if self.file_permissions_mode is not None:
                os.chmod(part, self.file_permissions_mode)
            os.replace(part, full_path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.remove(part)
            raise
        self._ensure_location_group_id(full_path)  # type: ignore[attr-defined]
        return os.path.relpath(full_path, self.location).replace("\\", "/")
