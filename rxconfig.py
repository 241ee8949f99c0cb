"""Reflex configuration; the database and Redis URLs come from flo_comms.settings."""

import reflex as rx
from reflex_base.plugins.sitemap import SitemapPlugin

from flo_comms.settings import settings

config = rx.Config(
    app_name="flo_comms",
    db_url=settings.database_url,
    redis_url=settings.redis_url,
    telemetry_enabled=False,
    show_built_with_reflex=False,
    default_color_mode="light",
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(accent_color="indigo", gray_color="slate", radius="medium")
        )
    ],
    disable_plugins=[SitemapPlugin],
)
