"""The root module: the public portal of the package (start page, measures, goals, timeline, …)."""

from fahrplan.modules import Portal


class Index(Portal):
    """Dortmund's portal: the package's, with the city's intro text (``html/portal/_intro.html``)."""
