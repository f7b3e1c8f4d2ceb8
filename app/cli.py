"""The ``hair-evidence`` command: database, seed, backup and server."""

import argparse
import asyncio
import sys
from pathlib import Path

import uvicorn

from app import migrate
from app.auth import keys
from app.backup.command import dump_command, restore_command
from app.citations.formats.detect import ReferenceFormat
from app.config import get_settings
from app.db import create_engine, create_sessionmaker
from app.errors import ProblemError
from app.imports.command import CommandFailed, run_command
from app.logs import uvicorn_log_config
from app.models.enums import KeyScope, OnError
from app.seed import seed


async def _seed() -> None:
    settings = get_settings()
    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            report = await seed(session, settings)
    finally:
        await engine.dispose()
    changed = {key: count for key, count in sorted(report.counts.items()) if count}
    print(
        "seed: "
        + (
            "changed " + ", ".join(f"{k}={v}" for k, v in changed.items())
            if report.changed
            else "nothing to change"
        )
    )


async def _keys(args: argparse.Namespace) -> None:
    engine = create_engine(get_settings())
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            if args.keys_command == "create":
                key = await keys.create_key(session, args.name, KeyScope(args.scope))
                print(key)
                print(
                    f"(key {args.name!r} with scope {args.scope}: shown once, stored hashed)",
                    file=sys.stderr,
                )
            elif args.keys_command == "list":
                for info in await keys.list_keys(session):
                    state = f"revoked {info.revoked_at:%Y-%m-%d}" if info.revoked_at else "active"
                    print(f"{info.name}\t{info.scope}\t{info.prefix}\t{state}")
            else:
                await keys.revoke_key(session, args.name)
                print(f"revoked {args.name!r}")
    finally:
        await engine.dispose()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hair-evidence", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    db = commands.add_parser("db", help="database schema migrations")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_commands.add_parser("upgrade", help="migrate to a revision (default: head)")
    upgrade.add_argument("revision", nargs="?", default="head")
    downgrade = db_commands.add_parser("downgrade", help="migrate down (default: base)")
    downgrade.add_argument("revision", nargs="?", default="base")

    commands.add_parser("seed", help="load the source article's evidence (idempotent)")

    keys_parser = commands.add_parser("keys", help="API keys for writes")
    keys_commands = keys_parser.add_subparsers(dest="keys_command", required=True)
    create = keys_commands.add_parser("create", help="create a key and print it once")
    create.add_argument("--name", required=True)
    create.add_argument("--scope", choices=[scope.value for scope in KeyScope], default="write")
    keys_commands.add_parser("list", help="list keys (never the keys themselves)")
    revoke = keys_commands.add_parser("revoke", help="revoke a key at once")
    revoke.add_argument("name")

    imports = commands.add_parser(
        "import", help="import a reference file (RIS, BibTeX, CSL-JSON, PubMed XML, ...)"
    )
    imports.add_argument("file", type=Path)
    imports.add_argument("--format", choices=[fmt.value for fmt in ReferenceFormat])
    imports.add_argument("--dry-run", action="store_true", help="report; write nothing")
    imports.add_argument(
        "--on-error", choices=[choice.value for choice in OnError], default=OnError.reject.value
    )
    imports.add_argument(
        "--resolve", action="store_true", help="then fill empty fields from Crossref or PubMed"
    )
    imports.add_argument("--api", metavar="URL", help="send to a running server instead")
    imports.add_argument("--key", help="API key for --api")
    imports.add_argument("--verbose", action="store_true", help="a line for every record")

    resolve = commands.add_parser(
        "resolve", help="fill studies' empty citation fields from Crossref (DOI) or PubMed (PMID)"
    )
    resolve.add_argument(
        "--study", dest="study_ids", metavar="ID", type=int, nargs="+", action="extend",
        help="only these studies (default: every study with a DOI or PMID missing a field)",
    )  # fmt: skip
    resolve.add_argument("--limit", metavar="N", type=int, help="look up at most N studies")

    dump = commands.add_parser(
        "dump",
        help="write the whole database to one JSON file",
        description="Write every resource, the history, import jobs and the keys' hashes to "
        "one versioned JSON file, from one consistent snapshot (writers are not blocked). "
        "The search index is left out: restore rebuilds it.",
    )
    dump.add_argument("file", help="the file to write (replaced once complete); - for stdout")

    restore = commands.add_parser(
        "restore",
        help="load a dump into an empty database",
        description="Load a file written by `hair-evidence dump` into an empty database of "
        "either engine, in one transaction: if anything is wrong, nothing is written. Make "
        "the database first with `hair-evidence db upgrade`; restore leaves its schema alone "
        "and refuses a dump written at another schema revision. Ids, history and keys come "
        "back as they were; the search index is rebuilt.",
    )
    restore.add_argument("file", help="a file written by hair-evidence dump; - for stdin")

    serve = commands.add_parser("serve", help="serve the API with uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "db":
        if args.db_command == "upgrade":
            migrate.upgrade(args.revision)
        else:
            migrate.downgrade(args.revision)
    elif args.command == "seed":
        asyncio.run(_seed())
    elif args.command == "keys":
        try:
            asyncio.run(_keys(args))
        except ProblemError as error:
            print(f"hair-evidence: {error.detail}", file=sys.stderr)
            return 1
    elif args.command == "import":
        try:
            return run_command(
                args.file,
                ReferenceFormat(args.format) if args.format else None,
                dry_run=args.dry_run,
                on_error=OnError(args.on_error),
                resolve=args.resolve,
                api=args.api,
                key=args.key,
                verbose=args.verbose,
            )
        except (CommandFailed, OSError) as error:
            print(f"hair-evidence: {error}", file=sys.stderr)
            return 2
    elif args.command == "resolve":
        from app.citations.enrich import resolve_command

        return resolve_command(args.study_ids, args.limit)
    elif args.command == "dump":
        return dump_command(args.file)
    elif args.command == "restore":
        return restore_command(args.file)
    elif args.command == "serve":
        uvicorn.run(
            "app.asgi:app",
            host=args.host,
            port=args.port,
            workers=args.workers,
            access_log=False,  # the application logs each request itself, as JSON
            log_config=uvicorn_log_config(),
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
