"""The `casebot` command: run the bot, migrate the database, create organisations, policies."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from bot.settings import (
    Settings,
    SettingsError,
    load_settings,
    require_redis_for_fsm,
    require_token,
    require_webhook,
)

SANDBOX_BOT_USERNAME = "casebot_sandbox_bot"
log = logging.getLogger("casebot")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except SettingsError as error:
        print(f"casebot: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="casebot", description=__doc__)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    run = commands.add_parser(
        "run", help="run the bot: long polling, or a webhook with --webhook (several instances)"
    )
    run.add_argument(
        "--webhook",
        metavar="URL",
        help="take updates by webhook at this public URL (or CASEBOT_WEBHOOK_URL); needs "
        "CASEBOT_WEBHOOK_SECRET and CASEBOT_LISTEN",
    )
    run.set_defaults(func=_sync(cmd_run))

    demo = commands.add_parser(
        "demo", help="the whole product in the browser: sandbox, bot and web chat, no token"
    )
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8080)
    demo.set_defaults(func=_sync(cmd_demo))

    db = commands.add_parser("db", help="database migrations").add_subparsers(metavar="ACTION")
    up = db.add_parser("upgrade", help="migrate to the newest schema (or REVISION)")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(func=_sync(cmd_db_upgrade))
    down = db.add_parser("downgrade", help="migrate down to REVISION ('base' empties it)")
    down.add_argument("revision")
    down.set_defaults(func=_sync(cmd_db_downgrade))
    current = db.add_parser("current", help="print the database's revision")
    current.set_defaults(func=_sync(cmd_db_current))

    org = commands.add_parser("org", help="organisations").add_subparsers(metavar="ACTION")
    create = org.add_parser("create", help="create an organisation and print the owner invite")
    create.add_argument("--name", required=True)
    create.add_argument("--currency", required=True, help="ISO 4217 code, e.g. UAH, USD, EUR")
    create.add_argument("--timezone", required=True, help="IANA name, e.g. Europe/Kyiv")
    create.add_argument("--team", action="append", default=[], help="a team (repeatable)")
    create.set_defaults(func=_sync(cmd_org_create))
    listing = org.add_parser("list", help="list organisations")
    listing.set_defaults(func=_sync(cmd_org_list))

    team = commands.add_parser("team", help="teams").add_subparsers(metavar="ACTION")
    add = team.add_parser("create", help="add a team to an organisation")
    add.add_argument("--org", type=int, required=True, help="organisation id")
    add.add_argument("--name", required=True)
    add.set_defaults(func=_sync(cmd_team_create))

    digest = commands.add_parser(
        "digest", help="write a weekly digest's text and chart to files, to see it before Monday"
    )
    digest.add_argument("--org", type=int, required=True, help="organisation id")
    digest.add_argument("--week", required=True, help="ISO week, e.g. 2026-W47")
    digest.add_argument("--lang", choices=("uk", "ru", "en"), default="en")
    digest.add_argument("--team", type=int, help="a team's digest (as its supervisors get it)")
    digest.add_argument("--out", required=True, help="directory for digest-LANG.html and .png")
    digest.set_defaults(func=_sync(cmd_digest))

    export = commands.add_parser(
        "export", help="a workbook (.xlsx) of cases, events, spends and surveys for a period"
    )
    export.add_argument("--org", type=int, required=True, help="organisation id")
    export.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
    export.add_argument("--to", dest="end", required=True, help="last day (included)")
    export.add_argument("--lang", choices=("uk", "ru", "en"), default="en")
    export.add_argument("--csv", action="store_true", help="CSV files (UTF-8 with BOM) instead")
    export.add_argument("--out", required=True, help="directory for the workbook or CSV files")
    export.set_defaults(func=_sync(cmd_export))

    screens = commands.add_parser(
        "screens", help="every screen in uk, ru and en as HTML pages, for review (no database)"
    )
    screens.add_argument("--out", required=True, help="directory for index.html and LANG.html")
    screens.set_defaults(func=cmd_screens)

    sandbox = commands.add_parser("sandbox", help="run the local Telegram Bot API sandbox alone")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8081)
    sandbox.set_defaults(func=_sync(cmd_sandbox))

    try:
        from policies.cli import add_policy_commands
    except ImportError:  # the policy package is optional for the bot's core
        pass
    else:
        policy = commands.add_parser("policy", help="empowerment policy files")
        add_policy_commands(policy.add_subparsers(metavar="ACTION"))
    return parser


def _sync(
    command: Callable[[argparse.Namespace, Settings], Coroutine[Any, Any, int]],
) -> Callable[[argparse.Namespace], int]:
    def runner(args: argparse.Namespace) -> int:
        settings = load_settings()
        from bot.logs import setup_logging

        token = settings.bot_token.get_secret_value() if settings.bot_token else ""
        setup_logging(settings.log_level, [token], settings.log_format)
        return asyncio.run(command(args, settings))

    return runner


async def _database(settings: Settings, *, migrate_sqlite: bool = True) -> Any:
    """The database, reachable and at the newest schema (SQLite upgrades itself)."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    from bot.db import migrate
    from bot.db.engine import Database

    db = Database(settings.database_url)
    try:
        if settings.is_sqlite and migrate_sqlite:
            await migrate.upgrade(db.engine)
        current = await migrate.current_revision(db.engine)
    except (OperationalError, DBAPIError, OSError) as error:
        await db.dispose()
        reason = str(getattr(error, "orig", error)).splitlines()[0][:160]
        raise SettingsError(f"CASEBOT_DATABASE_URL: cannot open the database ({reason})") from None
    if current != migrate.head_revision():
        await db.dispose()
        raise SettingsError(
            f"CASEBOT_DATABASE_URL: the database is at revision {current or 'none'}; "
            "run `casebot db upgrade` first"
        )
    return db


async def _redis(settings: Settings) -> None:
    """Redis, when configured, answers: else one line naming the variable (exit 2)."""
    if not settings.redis_url:
        return
    from redis.asyncio import Redis

    client = Redis.from_url(settings.redis_url, socket_connect_timeout=3, socket_timeout=3)
    try:
        await client.ping()
    except Exception as error:
        reason = (str(error) or type(error).__name__).splitlines()[0][:160]
        raise SettingsError(f"CASEBOT_REDIS_URL: cannot reach Redis ({reason})") from None
    finally:
        await client.aclose()


async def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    require_token(settings)  # before the heavy imports: a wrong setup is told at once
    require_redis_for_fsm(settings)
    webhook = getattr(args, "webhook", None) or settings.webhook_url
    if webhook:
        if webhook != settings.webhook_url:  # the flag's URL checked like the variable's
            settings = load_settings(webhook_url=webhook)
        require_webhook(settings)
        if settings.uses_sandbox:
            raise SettingsError(
                "CASEBOT_BOT_TOKEN: webhook mode needs a real token (or the sandbox's, with "
                "CASEBOT_TELEGRAM_API_URL pointing at it)"
            )
    from bot.app import BotApp, make_services

    await _redis(settings)
    db = await _database(settings)
    sandbox = None
    if settings.uses_sandbox:
        from bot.sandbox import Sandbox

        sandbox = Sandbox(bot_username=SANDBOX_BOT_USERNAME)
        await sandbox.start(port=settings.sandbox_port)
        api_url, token = sandbox.url, sandbox.token
        print(
            f"No CASEBOT_BOT_TOKEN: running against the local Telegram sandbox at {sandbox.url}\n"
            "Create an organisation with: casebot org create --name 'Demo Hotel' "
            "--currency USD --timezone Europe/Kyiv",
            flush=True,
        )
    else:
        assert settings.bot_token is not None
        api_url, token = settings.telegram_api_url, settings.bot_token.get_secret_value()
    app = BotApp(
        settings=settings,
        services=make_services(db),
        api_url=api_url,
        token=token,
        webhook_url=webhook or None,
    )
    _stop_on_signals(app.stop)
    if not webhook:
        log.info("casebot is polling %s", "the sandbox" if sandbox else api_url)
    await _serve(app, sandbox, db)
    log.info("casebot stopped")
    return 0


def _stop_on_signals(stop: Callable[[], object]) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop)


async def _serve(app: Any, sandbox: Any, db: Any) -> None:
    """Run until stopped; then the sandbox (if any) and the database close, whatever happened."""
    try:
        await app.run()
    finally:
        if sandbox is not None:
            await sandbox.stop()
        await db.dispose()


async def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    """Sandbox + bot + web chat on one port; a demo hotel with six weeks of history."""
    from bot.app import BotApp, make_services
    from bot.demo import PERSONAS, fresh_digests, seed
    from bot.sandbox import Sandbox

    db = await _database(settings)
    services = make_services(db)
    org_id = await seed(services)
    await fresh_digests(services, org_id)
    sandbox = Sandbox(bot_username=SANDBOX_BOT_USERNAME)
    try:
        await sandbox.start(host=args.host, port=args.port, personas=PERSONAS)
    except OSError as error:
        await db.dispose()
        print(
            f"casebot: cannot listen on {args.host}:{args.port} ({error.strerror})", file=sys.stderr
        )
        return 1
    app = BotApp(settings=settings, services=services, api_url=sandbox.url, token=sandbox.token)
    _stop_on_signals(app.stop)
    for persona in PERSONAS:
        if persona.name != "Guest":  # staff open the bot: home screen and the New case button
            await sandbox.user(persona.user_id).send("/start")
    print(f"casebot demo: open {sandbox.url} (Ctrl+C stops it)", flush=True)
    await _serve(app, sandbox, db)
    log.info("casebot demo stopped")
    return 0


async def _migrate(settings: Settings, action: str, revision: str | None) -> int:
    """Move the schema (or only report it) and print where the database now stands."""
    from bot.db import migrate
    from bot.db.engine import Database

    db = Database(settings.database_url)
    try:
        if action == "upgrade":
            await migrate.upgrade(db.engine, revision or "head")
        elif action == "downgrade":
            await migrate.downgrade(db.engine, revision or "base")
        print(f"database at {await migrate.current_revision(db.engine) or 'base'}")
    finally:
        await db.dispose()
    return 0


async def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    return await _migrate(settings, "upgrade", args.revision)


async def cmd_db_downgrade(args: argparse.Namespace, settings: Settings) -> int:
    return await _migrate(settings, "downgrade", args.revision)


async def cmd_db_current(args: argparse.Namespace, settings: Settings) -> int:
    return await _migrate(settings, "current", None)


async def bot_username(settings: Settings) -> str:
    if settings.bot_username:
        return settings.bot_username.lstrip("@")
    if settings.bot_token is None:
        return SANDBOX_BOT_USERNAME
    from bot.app import make_bot

    bot = make_bot(settings.bot_token.get_secret_value(), settings.telegram_api_url)
    try:
        me = await bot.me()
    finally:
        await bot.session.close()
    return me.username or ""


async def cmd_org_create(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import make_services
    from bot.services.errors import ServiceError

    db = await _database(settings)
    try:
        created = await make_services(db).organisations.create(
            args.name, args.currency, args.timezone, args.team
        )
    except ServiceError as error:
        print(f"casebot: {_cli_refusal(error)}", file=sys.stderr)
        return 1
    finally:
        await db.dispose()
    link = f"https://t.me/{await bot_username(settings)}?start={created.owner_invite_code}"
    print(f"Organisation #{created.id} '{created.name}' created.")
    print("Owner invite (one person, valid 7 days; it is shown only now):")
    print(link)
    return 0


def _cli_refusal(error: Any) -> str:
    messages = {
        "unknown_currency": "unknown currency {currency}: use an ISO 4217 code such as UAH",
        "unknown_timezone": "unknown time zone {timezone}: use an IANA name such as Europe/Kyiv",
        "empty_name": "the name is empty",
        "name_too_long": "the name is longer than {limit} characters",
        "team_exists": "the team {team} already exists",
        "export_backwards": "--to is before --from",
        "export_future": "the period ends after today ({today}) in the organisation's time zone",
        "export_too_long": "at most {limit} days at a time",
    }
    return messages.get(error.code, error.code).format(**error.params)


async def cmd_org_list(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import make_services

    db = await _database(settings)
    try:
        for org_id, name, currency, timezone in await make_services(db).organisations.all():
            print(f"{org_id}\t{name}\t{currency}\t{timezone}")
    finally:
        await db.dispose()
    return 0


async def cmd_team_create(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import make_services
    from bot.services.errors import ServiceError

    db = await _database(settings)
    try:
        team_id = await make_services(db).organisations.add_team(args.org, args.name)
    except ServiceError as error:
        print(f"casebot: {_cli_refusal(error)}", file=sys.stderr)
        return 1
    finally:
        await db.dispose()
    print(f"Team #{team_id} created.")
    return 0


async def cmd_digest(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import make_services
    from bot.services.digests import week_of
    from bot.services.metrics import Scope

    try:
        week = week_of(args.week)
    except ValueError:
        print("casebot: --week: write it as YYYY-Www, e.g. 2026-W47", file=sys.stderr)
        return 2
    db = await _database(settings)
    try:
        services = make_services(db)
        if args.org not in {org_id for org_id, *_ in await services.organisations.all()}:
            print(f"casebot: no organisation #{args.org}", file=sys.stderr)
            return 1
        content = await services.digests.content(
            Scope(args.org, team_id=args.team), week.first, week.end
        )
        rendered = services.digests.renderer.render(content, args.lang)
    finally:
        await db.dispose()
    page = (rendered.caption + "\n\n" + rendered.text + "\n").encode()
    files = {f"digest-{args.lang}.html": page, f"digest-{args.lang}.png": rendered.png}
    for path in await asyncio.to_thread(_write_files, args.out, files):
        print(path)
    return 0


def _write_files(directory: str, files: dict[str, bytes]) -> list[str]:
    from pathlib import Path

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (out / name).write_bytes(data)
    return [str(out / name) for name in files]


async def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import make_services
    from bot.i18n import parse_day
    from bot.render.exports import ExportTexts
    from bot.services.errors import ServiceError
    from bot.services.workbook import export_files

    first, last = parse_day(args.start, args.lang), parse_day(args.end, args.lang)
    if first is None or last is None:
        print("casebot: --from and --to: write the days as YYYY-MM-DD", file=sys.stderr)
        return 2
    db = await _database(settings)
    try:
        services = make_services(db)
        if args.org not in {org_id for org_id, *_ in await services.organisations.all()}:
            print(f"casebot: no organisation #{args.org}", file=sys.stderr)
            return 1
        data = await services.exports.data(args.org, first, last)
    except ServiceError as error:
        print(f"casebot: {_cli_refusal(error)}", file=sys.stderr)
        return 2
    finally:
        await db.dispose()
    labels = ExportTexts().labels(data.policy, args.lang)
    files = await asyncio.to_thread(export_files, data, labels, args.csv)
    written = await asyncio.to_thread(
        _write_files, args.out, {file.name: file.content for file in files}
    )
    for path in written:
        print(path)
    return 0


def cmd_screens(args: argparse.Namespace) -> int:
    """Render the gallery of screens (bot/gallery) from fabricated data; no settings needed."""
    from pathlib import Path

    from bot.gallery import write_gallery

    gallery = write_gallery(Path(args.out))
    for path in gallery.files:
        print(path)
    # A review tool: what Telegram would refuse is told (and listed atop index.html), not fatal.
    for finding in gallery.hard:
        print(f"casebot: {finding.locale} {finding.screen_id}: {finding.message}", file=sys.stderr)
    return 0


async def cmd_sandbox(args: argparse.Namespace, settings: Settings) -> int:
    from bot.sandbox import Sandbox

    sandbox = Sandbox(bot_username=SANDBOX_BOT_USERNAME)
    await sandbox.start(host=args.host, port=args.port)
    print(f"Sandbox Bot API at {sandbox.url} (sandbox token: {sandbox.token})", flush=True)
    stop = asyncio.Event()
    _stop_on_signals(stop.set)
    await stop.wait()
    await sandbox.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
