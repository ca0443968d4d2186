"""Measures in Musterstadt: the package's module with one local rule, added by overriding one hook."""

from viur.core import conf, errors
from viur.core.skeleton import SkeletonInstance

import fahrplan.modules


class Measure(fahrplan.modules.Measure):
    """
    The package's measures; in Musterstadt the city council mandates every published measure.

    Only :meth:`check_change` is overridden: the package's own checks (department rights, only the
    office publishes) run first, then the city's rule.
    """

    def check_change(self, skel: SkeletonInstance, stored_publication: str | None) -> None:
        super().check_change(skel, stored_publication)
        if skel["publication"] == "published" and not (skel["council_decision"] or "").strip():
            raise errors.UnprocessableEntity(
                f"In {conf.fahrplan.city_name} wird eine Maßnahme erst mit Ratsbeschluss veröffentlicht: "
                "bitte die Drucksachennummer angeben."
            )
