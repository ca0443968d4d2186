"""Typed configuration of the Fahrplan package, attached to viur-core's ``conf`` as ``conf.fahrplan``."""

import dataclasses


@dataclasses.dataclass
class FahrplanConfig:
    """Settings a host city sets in its ``main.py``."""

    city_name: str = "Dortmund"
    """Name of the city shown in the portal and in e-mails."""

    roadmap_title: str = "Memorandum zur Digitalisierung 2020 bis 2025"
    """Title of the roadmap the portal presents."""

    office_name: str = "Chief Information/Innovation Office (CIIO)"
    """The office responsible for the roadmap."""

    office_email: str = "ciio@example.org"
    """Public contact e-mail of the responsible office (the analogue channel lists phone and post too)."""

    office_phone: str = ""
    """Public phone number of the responsible office."""

    office_address: str = ""
    """Postal address of the responsible office, for people without internet."""

    public_base_url: str = "http://localhost:8080"
    """Absolute base URL of the public portal, used in links, feeds and e-mails."""

    page_cache_seconds: float = 20.0
    """How long an instance reuses a rendered public page (writes in the same instance clear it at once)."""

    edge_cache_seconds: int = 20
    """``Cache-Control`` max-age of public pages (App Engine's edge cache, browsers). With the page cache,
    a published change is visible everywhere within the catalogue's sync interval (15 s) +
    ``page_cache_seconds`` + ``edge_cache_seconds``: under a minute."""
