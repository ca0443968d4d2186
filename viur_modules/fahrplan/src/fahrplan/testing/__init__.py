"""Test helpers (factories) shipped with the package so host projects can test their extensions."""
