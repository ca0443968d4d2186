"""Project-specific translations (German default, English); viur-core loads them at start-up."""
