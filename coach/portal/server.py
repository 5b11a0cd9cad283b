"""`coach portal`: serve the portal with uvicorn until SIGINT/SIGTERM."""

from __future__ import annotations

import uvicorn

from coach.config import get_settings
from coach.portal.app import create_app
from coach.portal.settings import portal_settings


def serve(host: str | None = None, port: int | None = None, database_url: str | None = None) -> int:
    """Run the portal in this process (access logs off: URLs carry signed tokens)."""
    settings = portal_settings()
    app = create_app(database_url, settings)
    config = uvicorn.Config(
        app,
        host=host or settings.host,
        port=port or settings.port,
        access_log=False,
        log_level=get_settings().log_level.lower(),
        proxy_headers=False,
        ws="none",  # websockets 10.4 (pinned for rasa-sdk) is too old for uvicorn's ws protocol
    )
    server = uvicorn.Server(config)
    print(f"portal on http://{config.host}:{config.port}/", flush=True)
    server.run()
    return 0
