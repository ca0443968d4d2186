"""
The front-end build: ``sources/`` → ``deploy/static``.

Plain files, no bundler: CSS and JS are copied (one stylesheet, progressive-enhancement scripts),
fonts and images likewise, and the build writes ``deploy/static/build.json`` with a content hash per
file that templates use for cache-busting. ``deploy/static`` is build output and not committed.
"""

import hashlib
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "sources"
TARGET = ROOT / "deploy" / "static"


def build(sources: Path = SOURCES, target: Path = TARGET) -> dict[str, str]:
    """Build the static folder afresh; returns the manifest (relative path → short content hash)."""
    if not sources.is_dir():
        raise FileNotFoundError(f"{sources} is missing: the front-end sources belong there")
    staging = target.with_name(target.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    manifest: dict[str, str] = {}
    for path in sorted(sources.rglob("*")):
        if path.is_dir() or path.name.startswith("."):
            continue
        relative = path.relative_to(sources)
        destination = staging / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)
        manifest[relative.as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
    (staging / "build.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return manifest


if __name__ == "__main__":
    files = build()
    print(f"deploy/static: {len(files)} files built from sources/", file=sys.stderr)
