"""
Fahrplan for the City of Dortmund: the App Engine app.

Configuration only, in sections; the domain lives in the ``fahrplan`` package
(``viur_modules/fahrplan``). The working directory must be this folder (``app.yaml`` starts gunicorn
with ``--chdir deploy``).
"""

import datetime
import os

import translations
from viur.core import conf, email, i18n

import fahrplan
import fahrplan.languages

# ------------------------------------------------------------------------------
# Instance
#

conf.valid_application_ids = ["fahrplan-*", "dortmund-*"]
"""Google Cloud project ids this app may run in (fnmatch patterns)."""

# ------------------------------------------------------------------------------
# Users and roles
#

conf.user.roles = {
    "root": "Root (everything, incl. user management)",
    "ciio": "CIIO office (everything incl. publishing)",
    "editor": "Department editor (own department's measures)",
    "committee": "APOD committee member (reads internal status)",
}
"""Roles a user can hold; anonymous visitors have none. Module ``roles`` dicts expand them into rights."""

conf.user.access_rights = ["root", "admin", "scriptor"]
conf.user.session_life_time = datetime.timedelta(hours=8)

# ------------------------------------------------------------------------------
# Languages
#

conf.i18n.available_languages = ["de", "en"]
conf.i18n.default_language = "de"
conf.i18n.language_method = "session"
conf.i18n.sources = (
    i18n.StaticModuleSource(),  # viur-core's own texts
    i18n.StaticModuleSource(fahrplan.languages),  # the package's English labels (German is the default text)
    i18n.StaticModuleSource(translations),  # this city's texts (deploy/translations)
    i18n.DatastoreSource(),  # texts edited in the admin win
)

# ------------------------------------------------------------------------------
# Admin (vi-admin)
#

conf.admin.name = "Fahrplan Dortmund"
conf.admin.color_primary = "#0b5f8a"
conf.admin.color_secondary = "#1f2933"
conf.admin.module_groups = {
    "roadmap": {"name": "Roadmap", "icon": "signpost-split", "sortindex": 10},
    "organisation": {"name": "Organisation", "icon": "building", "sortindex": 20},
    "system": {"name": "System", "icon": "gear", "sortindex": 90},
}

# ------------------------------------------------------------------------------
# Security
#

conf.security.x_frame_options = ("sameorigin", None)
conf.security.content_security_policy = {
    # No request leaves the site: no CDN, no web fonts from elsewhere, no analytics.
    "enforce": {
        "default-src": ["self"],
        "script-src": ["self"],
        "style-src": ["self"],
        "img-src": ["self", "data:"],
        "font-src": ["self"],
        "connect-src": ["self"],
        "form-action": ["self"],
        "frame-ancestors": ["self"],
        "base-uri": ["self"],
        "object-src": ["none"],
    }
}

# ------------------------------------------------------------------------------
# E-mail
#

conf.email.sender_default = f"fahrplan@{conf.instance.project_id}.appspotmail.com"
conf.email.admin_recipients = os.getenv("FAHRPLAN_ADMIN_RECIPIENTS") or None
conf.email.transport_class = email.EmailTransportAppengine()
"""App Engine's Mail API (``app_engine_apis: true`` in app.yaml); without a transport every mail failed in production.
On the dev server viur-core only logs e-mails."""

# ------------------------------------------------------------------------------
# Fahrplan package
#

conf.fahrplan = fahrplan.FahrplanConfig(
    city_name="Dortmund",
    office_name="Chief Information/Innovation Office (CIIO) der Stadt Dortmund",
    office_email=os.getenv("FAHRPLAN_OFFICE_EMAIL", "ciio@dortmund.example"),
    office_phone="+49 231 50-0 (illustrativ)",
    office_address="Stadt Dortmund, CIIO, Friedensplatz 1, 44135 Dortmund (illustrativ)",
    public_base_url=os.getenv("FAHRPLAN_PUBLIC_BASE_URL", "http://localhost:8080"),
)

# ------------------------------------------------------------------------------
# Setup
#

from viur.core import render  # noqa: E402

import modules  # noqa: E402  # modules import skeletons, which need the configuration above
from fahrplan.services import startup  # noqa: E402

app = startup.setup(modules, render)
"""viur-core's app, set up so that the instance starts even while the datastore is down (steps that need it wait);
App Engine's ``/_ah/warmup`` (see app.yaml) and the start of the process load the catalogue."""
