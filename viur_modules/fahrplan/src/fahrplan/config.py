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

    stale_page_seconds: float = 86400.0
    """How old a page in the page cache may be and still be served while the datastore is down (stale-if-error)."""

    stale_if_error_seconds: int = 86400
    """``stale-if-error`` of public pages' ``Cache-Control``: how long an edge or browser may show its copy
    while this app answers with errors."""

    datastore_read_seconds: float = 3.0
    """Deadline of one datastore read (lookup, query, count) made while answering a request, retries included."""

    datastore_write_seconds: float = 10.0
    """Deadline of one datastore write (commit, transaction, id allocation) made while answering a request."""

    datastore_background_seconds: float = 30.0
    """Deadline of every datastore call made outside a request (start-up, scripts, tasks run in-process)."""

    datastore_cooldown_seconds: float = 2.0
    """While the datastore is known down, calls fail at once for this long; then one call probes it."""

    review_live_fields: dict[str, tuple[str, ...]] = dataclasses.field(
        default_factory=lambda: {"milestone": ("state", "actual_date"), "kpi_reading": ("*",)}
    )
    """Kind → fields an editor's change may put live at once on a published entry (``"*"``: all of them). Every
    other change an editor makes to a published entry (or an entry added to a published measure) is a pending
    revision the CIIO office accepts or rejects; the public page is unchanged meanwhile."""

    outage_retry_after_seconds: int = 10
    """``Retry-After`` of the 503 answer while the datastore is down."""
