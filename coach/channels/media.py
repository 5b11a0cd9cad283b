"""Download a video a patient sent, from the provider's own host only, with the size cap
enforced while streaming, into the quarantine (coach.media.incoming). Rasa env (aiohttp)."""

from __future__ import annotations

import asyncio
from urllib.parse import urljoin, urlsplit

import aiohttp

from coach.media.incoming import IncomingWriter, MediaRejected, source_allowed

CHUNK_BYTES = 1 << 16
MAX_REDIRECTS = 3
REDIRECTS = frozenset({301, 302, 303, 307, 308})
TIMEOUT = aiohttp.ClientTimeout(total=120, sock_read=30)


async def download_video(
    session: aiohttp.ClientSession,
    url: str,
    *,
    max_bytes: int,
    allowed_hosts: tuple[str, ...],
    auth: aiohttp.BasicAuth | None = None,
) -> str:
    """The clip id of the stored download; raises MediaRejected (`bad_source`, `unavailable`,
    `too_large`, `empty`, `not_a_video`). Credentials go only to the first, allowed host;
    a redirect is followed only to another allowed host."""
    if not source_allowed(url, allowed_hosts):
        raise MediaRejected("bad_source", urlsplit(url).hostname or "")
    try:
        return await _fetch(session, url, max_bytes, allowed_hosts, auth)
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        raise MediaRejected("unavailable", type(exc).__name__) from exc


async def _fetch(
    session: aiohttp.ClientSession,
    url: str,
    max_bytes: int,
    allowed_hosts: tuple[str, ...],
    auth: aiohttp.BasicAuth | None,
) -> str:
    first_host = urlsplit(url).netloc
    for _ in range(MAX_REDIRECTS + 1):
        same_host = urlsplit(url).netloc == first_host
        async with session.get(
            url, auth=auth if same_host else None, allow_redirects=False, timeout=TIMEOUT
        ) as reply:
            if reply.status in REDIRECTS:
                url = urljoin(url, reply.headers.get("Location", ""))
                if not source_allowed(url, allowed_hosts):
                    raise MediaRejected("bad_source", urlsplit(url).hostname or "")
                continue
            if reply.status != 200:
                raise MediaRejected("unavailable", f"http {reply.status}")
            if (reply.content_length or 0) > max_bytes:
                raise MediaRejected("too_large", f"{reply.content_length} bytes announced")
            writer = IncomingWriter(max_bytes)
            try:
                async for chunk in reply.content.iter_chunked(CHUNK_BYTES):
                    writer.write(chunk)
            except BaseException:
                writer.discard()
                raise
            return writer.finish()
    raise MediaRejected("unavailable", "too many redirects")
