"""
Fahrplan for Musterstadt: a fake second host app, used by ``tests/functional/test_fakehost.py``.

It is the smallest app another city needs to run the ``fahrplan`` package without forking it: its own
configuration here, the package's modules mounted in ``modules/``, and one extension each of a skeleton
(``skeletons/measure.py``) and of a module hook (``modules/measure.py``). The working directory must be
this folder (the test starts gunicorn with ``--chdir tests/fakehost``).
"""

import datetime

from viur.core import conf

import fahrplan

# ------------------------------------------------------------------------------
# Instance
#

conf.valid_application_ids = ["musterstadt-*"]
"""Google Cloud project ids this app may run in (fnmatch patterns)."""

# ------------------------------------------------------------------------------
# Users and roles
#

conf.user.roles = {
    "root": "Root (everything, incl. user management)",
    "ciio": "Digitalisation office (everything incl. publishing)",
    "editor": "Department editor (own department's measures)",
    "committee": "Committee member (reads internal status)",
}
"""The package's modules expand these roles into rights (see their ``roles`` dicts)."""

conf.user.access_rights = ["root", "admin", "scriptor"]
conf.user.session_life_time = datetime.timedelta(hours=8)

# ------------------------------------------------------------------------------
# Languages
#

conf.i18n.available_languages = ["de"]
conf.i18n.default_language = "de"

# ------------------------------------------------------------------------------
# Admin (vi-admin)
#

conf.admin.name = "Fahrplan Musterstadt"

# ------------------------------------------------------------------------------
# Fahrplan package
#

conf.fahrplan = fahrplan.FahrplanConfig(
    city_name="Musterstadt",
    roadmap_title="Digitalstrategie Musterstadt 2030",
    office_name="Stabsstelle Digitalisierung der Stadt Musterstadt",
    office_email="digital@musterstadt.example",
)

# ------------------------------------------------------------------------------
# Setup
#

from viur.core import render  # noqa: E402

import modules  # noqa: E402  # modules import skeletons, which need the configuration above
from fahrplan.services import startup  # noqa: E402

app = startup.setup(modules, render)
