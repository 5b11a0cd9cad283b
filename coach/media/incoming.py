"""The quarantine for videos a channel received: size-capped while streaming, sniffed from the
bytes, content-addressed, not yet validated.

A channel (Rasa env) writes `incoming/<aa>/<sha256>.<container>` under MEDIA_DIR and tells the
bot the id; the action server moves it into the clip store with full validation
(`coach.clips.intake.store_clip_file`) and binds it to the patient whose conversation named it.
Standard library only, so both environments share this one layout.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import tempfile
from fnmatch import fnmatch
from pathlib import Path
from urllib.parse import urlsplit

from coach.config import get_settings
from coach.media.sniff import HEADER_BYTES, sniff_container

INCOMING_FOLDER = "incoming"
FOLDER_MODE = 0o700
HEX = frozenset("0123456789abcdef")
LOOPBACK_NAMES = frozenset({"localhost"})


class MediaRejected(Exception):
    """A received file that is not kept; `code` names why (a clip retake-message key)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code


def incoming_dir(media_dir: Path | None = None) -> Path:
    """The quarantine folder (created private on first use)."""
    folder = (media_dir or get_settings().media_dir) / INCOMING_FOLDER
    folder.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
    return folder


def is_clip_id(clip_id: str) -> bool:
    """A SHA-256 hex digest (nothing else is ever looked up on disk)."""
    return len(clip_id) == 64 and set(clip_id) <= HEX


def incoming_path(clip_id: str, media_dir: Path | None = None) -> Path | None:
    """The quarantined file for `clip_id`, if there is one."""
    if not is_clip_id(clip_id):
        return None
    folder = incoming_dir(media_dir) / clip_id[:2]
    return next(iter(sorted(folder.glob(f"{clip_id}.*"))), None) if folder.exists() else None


class IncomingWriter:
    """Streams one received file into the quarantine; raises MediaRejected past `max_bytes`."""

    def __init__(self, max_bytes: int, media_dir: Path | None = None) -> None:
        self.max_bytes = max_bytes
        self.folder = incoming_dir(media_dir)
        handle, name = tempfile.mkstemp(dir=self.folder, prefix=".download-")
        self._file = os.fdopen(handle, "wb")
        self._temp = Path(name)
        self._digest = hashlib.sha256()
        self._header = b""
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            self.discard()
            raise MediaRejected("too_large", f"over {self.max_bytes} bytes")
        if len(self._header) < HEADER_BYTES:
            self._header += chunk[: HEADER_BYTES - len(self._header)]
        self._digest.update(chunk)
        self._file.write(chunk)

    def finish(self) -> str:
        """Keep the file if it is a video; its clip id."""
        self._file.close()
        if self.size == 0:
            self.discard()
            raise MediaRejected("empty")
        container = sniff_container(self._header)
        if container is None:
            self.discard()
            raise MediaRejected("not_a_video")
        clip_id = self._digest.hexdigest()
        final = self.folder / clip_id[:2] / f"{clip_id}.{container}"
        final.parent.mkdir(exist_ok=True, mode=FOLDER_MODE)
        os.replace(self._temp, final)
        return clip_id

    def discard(self) -> None:
        if not self._file.closed:
            self._file.close()
        self._temp.unlink(missing_ok=True)


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def source_allowed(url: str, hosts: tuple[str, ...]) -> bool:
    """Whether media may be fetched from `url`: an allowed host (`*.` = its subdomains), over
    HTTPS (plain HTTP only on loopback, for the fake providers in tests)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    netloc = parts.netloc.rpartition("@")[2].lower()
    if not host or parts.username or parts.password:
        return False
    if parts.scheme != "https" and not (parts.scheme == "http" and _is_loopback(host)):
        return False
    patterns = [pattern.lower() for pattern in hosts]
    return any(fnmatch(host, pattern) or netloc == pattern for pattern in patterns)


def is_safe_relative_path(path: str) -> bool:
    """A provider-given relative file path with no way out of its folder (`..`, scheme, root)."""
    parts = path.split("/")
    return bool(path) and not path.startswith("/") and "://" not in path and ".." not in parts
