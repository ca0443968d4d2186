"""Measures in Musterstadt: the package's measure plus the council decision that mandates it."""

from viur.core.bones import StringBone

import fahrplan.skeletons


class MeasureSkel(fahrplan.skeletons.MeasureSkel):
    """The package's measure, extended by one bone; the package's derivations and history still apply."""

    kindName = "measure"

    council_decision = StringBone(
        descr="Ratsbeschluss (Drucksache)",
        params={"tooltip": "Nummer der Drucksache, mit der der Rat die Maßnahme beschlossen hat, z. B. DS 2024/0815"},
        max_length=40,
        searchable=True,
    )
    """The council decision that mandates the measure; required to publish it (see ``modules/measure.py``)."""
