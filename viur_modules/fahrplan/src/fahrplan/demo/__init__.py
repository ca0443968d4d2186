"""Data files of the illustrative demo roadmap (see :mod:`fahrplan.services.demo`)."""
