"""The web pages' settings, read from the environment once per app: the vendor's branding and
wording, who may frame the portal, and whether cookies are marked ``Secure``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from tenantry.domain.errors import InvalidField

VENDOR_NAME_ENV: Final = "TENANTRY_VENDOR_NAME"
VENDOR_LOGO_ENV: Final = "TENANTRY_VENDOR_LOGO"
ACCENT_COLOR_ENV: Final = "TENANTRY_ACCENT_COLOR"
TERM_ENV: Final = "TENANTRY_ORGANIZATION_TERM"
TERM_PLURAL_ENV: Final = "TENANTRY_ORGANIZATION_TERM_PLURAL"
FRAME_ANCESTORS_ENV: Final = "TENANTRY_PORTAL_FRAME_ANCESTORS"
SECURE_COOKIES_ENV: Final = "TENANTRY_WEB_SECURE_COOKIES"

_COLOR: Final = re.compile(r"#[0-9a-fA-F]{6}")
_LOGO_TYPES: Final = {
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
}


def _origin(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        raise InvalidField(
            FRAME_ANCESTORS_ENV, f"{value!r} is not an origin (scheme://host[:port], no path)"
        )
    return f"{parts.scheme}://{parts.netloc}".lower()


@dataclass(frozen=True)
class WebSettings:
    """Branding (``vendor_name``, ``logo``, ``accent_color``), the vendor's word for an
    organization (``term``, ``term_plural``), the origins allowed to frame the portal
    (``frame_ancestors``; none: the portal cannot be framed) and ``secure_cookies`` (mark the
    session cookies ``Secure; SameSite=None`` even when a TLS proxy hides the scheme)."""

    vendor_name: str = "tenantry"
    logo: Path | None = None
    accent_color: str = "#3b5bdb"
    term: str = "Organization"
    term_plural: str = "Organizations"
    frame_ancestors: tuple[str, ...] = field(default=())
    secure_cookies: bool = False

    def __post_init__(self) -> None:
        if not _COLOR.fullmatch(self.accent_color):
            raise InvalidField(ACCENT_COLOR_ENV, "must be a colour #rrggbb")
        if self.logo is not None and self.logo.suffix.lower() not in _LOGO_TYPES:
            raise InvalidField(VENDOR_LOGO_ENV, f"must be one of {sorted(_LOGO_TYPES)}")
        for name, value in (("vendor_name", self.vendor_name), ("term", self.term)):
            if not value.strip() or len(value) > 60:
                raise InvalidField(name, "must be 1 to 60 characters")

    @property
    def logo_type(self) -> str | None:
        return None if self.logo is None else _LOGO_TYPES[self.logo.suffix.lower()]

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> WebSettings:
        term = env.get(TERM_ENV, "").strip() or "Organization"
        logo = env.get(VENDOR_LOGO_ENV, "").strip()
        return cls(
            vendor_name=env.get(VENDOR_NAME_ENV, "").strip() or "tenantry",
            logo=Path(logo) if logo else None,
            accent_color=env.get(ACCENT_COLOR_ENV, "").strip() or "#3b5bdb",
            term=term,
            term_plural=env.get(TERM_PLURAL_ENV, "").strip() or f"{term}s",
            frame_ancestors=tuple(_origin(o) for o in env.get(FRAME_ANCESTORS_ENV, "").split()),
            secure_cookies=env.get(SECURE_COOKIES_ENV, "") == "1",
        )
