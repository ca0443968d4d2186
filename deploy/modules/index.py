"""The root module: the public start page and site-wide pages."""

from viur.core import Module, errors, exposed


class Index(Module):
    """Serves ``/`` (the html render's root)."""

    @exposed
    def index(self, *args, **kwargs) -> str:
        """The public start page."""
        if args:
            raise errors.NotFound()
        template = self.render.getEnv().get_template(self.render.getTemplateFileName("index"))
        return template.render()
