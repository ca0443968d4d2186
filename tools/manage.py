"""
Management commands that run inside the app's environment (cwd ``deploy/``, emulators up).

    python -m tools.manage ensure-root --password-file .devdata/root-password
    python -m tools.manage seed
    python -m tools.manage generate --size S|L
    python -m tools.manage repair-zeros [--dry-run]
    python -m tools.manage resanitise [--dry-run]
    python -m tools.manage rerate-kpis

``tools.dev`` calls them with the right environment; they are idempotent.
"""

import argparse
import logging
import os
import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def boot():
    """
    Import the app (``deploy/main.py``) so that skeletons and modules are set up.

    Under the run command (``FAHRPLAN_JOURNAL`` set) every write is journaled first, as the app server's are.
    """
    from tools import journal

    journal.install()
    os.chdir(ROOT / "deploy")
    sys.path.insert(0, str(ROOT / "deploy"))
    logging.disable(logging.WARNING)
    import main  # noqa: F401

    logging.disable(logging.NOTSET)


def root_user_name() -> str:
    """The local root login: the same name viur-core's start-up task gives the first admin."""
    from viur.core import conf

    return f"admin@{conf.instance.project_id}.appspot.com"


def ensure_root(password_file: Path) -> tuple[str, str]:
    """
    Make sure the local root user exists and has the password stored in ``password_file``.

    The password is generated on first use and kept in that file, so it stays the same across restarts;
    it is (re)applied only when the file is new or the user is missing, so a password changed in the admin
    is not overwritten.
    """
    from viur.core import db, skeleton
    from viur.core.modules.user import Status

    name = root_user_name()
    new_password = not password_file.is_file()
    if new_password:
        password_file.parent.mkdir(parents=True, exist_ok=True)
        password_file.write_text(secrets.token_urlsafe(12))
        password_file.chmod(0o600)
    password = password_file.read_text().strip()

    skel = skeleton.skeletonByKind("user")()
    entity = db.Query("user").filter("name.idx =", name.lower()).getEntry()
    if entity is None or new_password:
        if entity is not None:
            skel.read(entity.key)
        skel["name"] = name
        skel["firstname"] = "Root"
        skel["lastname"] = "Fahrplan"
        skel["status"] = Status.ACTIVE
        skel["roles"] = ["root"]
        skel["password"] = password
        skel.write()
    return name, password


def seed() -> int:
    """Load the demo data (idempotent); returns the number of entities written."""
    from fahrplan.services import demo

    return demo.load()


def generate(size: str, seed: int = 1) -> dict[str, int]:
    """Write a synthetic scale workload (see :mod:`fahrplan.testing.workloads`); returns counts and seconds."""
    from fahrplan.testing import workloads

    return workloads.generate(size, seed=seed)


def repair_zeros(dry_run: bool) -> list[str]:
    """Find (and unless ``dry_run`` clear) the zeros vi-admin's empty number fields left; returns report lines."""
    from fahrplan.services import repair

    repairs = repair.zero_repairs()
    lines = [item.describe() for item in repairs]
    if dry_run:
        lines.append(f"dry run: {len(repairs)} measures would be repaired; nothing written")
    else:
        lines.append(f"repaired: {repair.apply(repairs)} measures")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.manage", description=__doc__.splitlines()[1])
    sub = parser.add_subparsers(dest="command", required=True)
    root = sub.add_parser("ensure-root", help="create the local root login (idempotent)")
    root.add_argument("--password-file", type=Path, default=ROOT / ".devdata" / "root-password")
    sub.add_parser("seed", help="load the illustrative demo roadmap (idempotent)")
    gen = sub.add_parser("generate", help="write a synthetic scale workload (S: 300 measures, L: 10,000)")
    gen.add_argument("--size", choices=["S", "L"], default="S")
    gen.add_argument("--seed", type=int, default=1)
    zeros = sub.add_parser("repair-zeros", help="clear the zeros empty number fields left in measures")
    zeros.add_argument("--dry-run", action="store_true", help="only print what would change")
    clean = sub.add_parser("resanitise", help="run stored rich texts through the allow-list sanitiser")
    clean.add_argument("--dry-run", action="store_true", help="only list what would change")
    sub.add_parser("rerate-kpis", help="rate every KPI for today and store the day its rating changes (one-off)")
    args = parser.parse_args(argv)

    password_file = getattr(args, "password_file", None)
    password_file = password_file.resolve() if password_file else None
    boot()
    if args.command == "ensure-root":
        name, password = ensure_root(password_file)
        print(f"root-login\t{name}\t{password}")
    elif args.command == "seed":
        print(f"demo data: {seed()} entities written")
    elif args.command == "generate":
        counts = generate(args.size, args.seed)
        seconds = counts.pop("seconds")
        print("workload " + args.size + ": " + ", ".join(f"{kind} {count}" for kind, count in counts.items()))
        print(f"seconds\t{seconds}")
    elif args.command == "repair-zeros":
        print("\n".join(repair_zeros(args.dry_run)))
    elif args.command == "resanitise":
        from fahrplan.services import repair

        changed = repair.resanitise(dry_run=args.dry_run)
        for key, bone in changed:
            print(f"{'would clean' if args.dry_run else 'cleaned'}\t{key}\t{bone}")
        print(f"rich texts {'to clean' if args.dry_run else 'cleaned'}: {len(changed)}")
    elif args.command == "rerate-kpis":
        from fahrplan.services import kpis

        print(f"KPIs re-rated: {kpis.rerate_all()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
