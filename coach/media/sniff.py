"""Recognise a video container from its first bytes (no decoding, stdlib only)."""

from __future__ import annotations

EBML_MAGIC = b"\x1a\x45\xdf\xa3"
ISO_BOX_TYPE = slice(4, 8)
ISO_BRAND = slice(8, 12)
QUICKTIME_BRAND = b"qt  "
QUICKTIME_TOP_BOXES = (b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")
RIFF_MAGIC = b"RIFF"
RIFF_FORM = slice(8, 12)
AVI_FORM = b"AVI "
HEADER_BYTES = 64  # enough for every signature above


def sniff_container(header: bytes) -> str | None:
    """Container name from the first bytes (mp4, mov, webm, mkv, avi), None if not a video."""
    if header[ISO_BOX_TYPE] == b"ftyp":
        return "mov" if header[ISO_BRAND] == QUICKTIME_BRAND else "mp4"
    if header[ISO_BOX_TYPE] in QUICKTIME_TOP_BOXES:
        return "mov"
    if header.startswith(EBML_MAGIC):
        return "webm" if b"webm" in header else "mkv"
    if header.startswith(RIFF_MAGIC) and header[RIFF_FORM] == AVI_FORM:
        return "avi"
    return None
