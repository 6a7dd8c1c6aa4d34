"""/stats for managers (the organisation or a team) and supervisors (their team), and /export
of cases, events, spends and surveys as a workbook (or CSV files) for managers."""

from __future__ import annotations

import asyncio
import logging
from datetime import date, timedelta

from aiogram import Bot, F
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message

from bot.db.models import Role
from bot.i18n import parse_day
from bot.render import digest as screens
from bot.render import errors
from bot.render.callbacks import StatsStep
from bot.render.exports import (
    csv_again,
    export_labels,
    export_range_help,
    export_refusal,
    range_of_key,
)
from bot.services import Services
from bot.services.context import Context, MemberView
from bot.services.digests import period
from bot.services.errors import ServiceError
from bot.services.exports import PRESETS
from bot.services.workbook import ExportFile, export_files
from handlers.routing import Routes
from handlers.screens import show

routes = Routes("stats")
log = logging.getLogger(__name__)
LONGEST = 366  # days a typed range may span


async def _stats_screen(
    services: Services,
    member: MemberView,
    locale: str,
    first: date,
    end: date,
    key: str,
    team_id: int,
) -> tuple[str, InlineKeyboardMarkup]:
    scope = await services.digests.reader_scope(member, team_id)
    content = await services.digests.content(scope, first, end, recognition=False)
    data = screens.digest_input(content, weekly=False)
    manager = Role(member.role).at_least(Role.MANAGER)
    teams = await services.organisations.teams(member.org_id) if manager else []
    text = screens.digest_text(data, content.policy, locale)
    return text, screens.stats_keyboard(key, scope.team_id or 0, teams, manager)


def typed_days(argument: str, locale: str) -> tuple[date, date] | None:
    """The first and the last day typed, as written: ISO days, or 01.11.2026 in uk/ru."""
    parts = argument.split()
    if len(parts) != 2:
        return None
    first, last = parse_day(parts[0], locale), parse_day(parts[1], locale)
    if first is None or last is None:
        return None
    return first, last


def typed_range(argument: str, locale: str) -> tuple[date, date] | None:
    """The first and the end (exclusive) of a typed period: ISO days, or 01.11.2026 in uk/ru."""
    days = typed_days(argument, locale)
    if days is None:
        return None
    first, last = days
    if last < first or (last - first).days >= LONGEST:
        return None
    return first, last + timedelta(days=1)


@routes.message(Command("stats"))
async def stats(message: Message, command: CommandObject, ctx: Context, services: Services) -> None:
    assert ctx.member is not None
    policy = (await services.policies.in_force(ctx.member.org_id)).policy
    key = "tw"
    first, end = period(policy, services.clock.now(), key)
    if command.args:
        typed = typed_range(command.args, ctx.locale)
        if typed is None:
            await message.answer(screens.range_help(ctx.locale))
            return
        first, end, key = typed[0], typed[1], ""
    try:
        text, markup = await _stats_screen(services, ctx.member, ctx.locale, first, end, key, 0)
    except ServiceError as error:
        log.warning("refused %s on /stats from user %s", error.code, ctx.user.id)
        await message.answer(errors.refusal(error))
        return
    await message.answer(text, reply_markup=markup)


@routes.callback_query(StatsStep.filter(F.action == "stats"))
async def stats_again(
    query: CallbackQuery, callback_data: StatsStep, ctx: Context, services: Services
) -> None:
    if ctx.member is None or callback_data.period not in ("tw", "lw", "tm"):
        await query.answer()
        return
    policy = (await services.policies.in_force(ctx.member.org_id)).policy
    first, end = period(policy, services.clock.now(), callback_data.period)
    try:
        text, markup = await _stats_screen(
            services,
            ctx.member,
            ctx.locale,
            first,
            end,
            callback_data.period,
            callback_data.team_id,
        )
    except ServiceError as error:
        log.warning("refused %s on a stats button from user %s", error.code, ctx.user.id)
        await query.answer(errors.refusal(error), show_alert=True)
        return
    await show(query, text, markup)


@routes.callback_query(StatsStep.filter(F.action == "terms"))
async def figures_explained(query: CallbackQuery, ctx: Context, bot: Bot) -> None:
    """FCR, CSAT, CES, p90 and pp in a line each, below the figures (which stay)."""
    await query.answer()
    await bot.send_message(ctx.user.id, screens.figures_explained())


@routes.callback_query(StatsStep.filter(F.action == "chart"))
async def stats_chart(
    query: CallbackQuery, callback_data: StatsStep, ctx: Context, services: Services, bot: Bot
) -> None:
    """The chart of the figures on screen, as a new photo below them."""
    if ctx.member is None or callback_data.period not in ("tw", "lw", "tm"):
        await query.answer()
        return
    policy = (await services.policies.in_force(ctx.member.org_id)).policy
    first, end = period(policy, services.clock.now(), callback_data.period)
    try:
        scope = await services.digests.reader_scope(ctx.member, callback_data.team_id)
    except ServiceError as error:
        log.warning("refused %s on a chart button from user %s", error.code, ctx.user.id)
        await query.answer(errors.refusal(error), show_alert=True)
        return
    content = await services.digests.content(scope, first, end, recognition=False)
    await query.answer()
    png = screens.chart_png(content.days, ctx.locale)
    caption = screens.chart_caption(screens.digest_input(content, weekly=False), ctx.locale)
    await bot.send_photo(ctx.user.id, BufferedInputFile(png, "chart.png"), caption=caption)


@routes.message(Command("export"))
async def export(
    message: Message, command: CommandObject, ctx: Context, services: Services, bot: Bot
) -> None:
    """The export screen; or, with two days typed, the workbook of those days at once."""
    assert ctx.member is not None
    if not Role(ctx.member.role).at_least(Role.MANAGER):
        await message.answer(errors.refusal(ServiceError("not_allowed")))
        return
    if not command.args:
        text, markup = screens.export_screen(locale=ctx.locale)
        await message.answer(text, reply_markup=markup)
        return
    days = typed_days(command.args, ctx.locale)
    if days is None:
        await message.answer(export_range_help(ctx.locale))
        return
    first, last = days
    try:
        files = await _export(services, ctx.member, ctx.locale, first, last, as_csv=False)
    except ServiceError as error:
        log.warning("refused %s on /export from user %s", error.code, ctx.user.id)
        await message.answer(export_refusal(error, ctx.locale))
        return
    label = screens.period_text(first, last + timedelta(days=1), ctx.locale)
    await message.answer(screens.export_sent(label), reply_markup=csv_again(first, last))
    await _send(bot, ctx.user.id, files)


@routes.callback_query(StatsStep.filter(F.action.in_({"export", "csv"})))
async def export_period(
    query: CallbackQuery, callback_data: StatsStep, ctx: Context, services: Services, bot: Bot
) -> None:
    """A preset (or the days of an earlier export, as CSV): the files below the screen."""
    member = ctx.member
    if member is None or not Role(member.role).at_least(Role.MANAGER):
        log.warning("refused an export button from user %s", ctx.user.id)
        await query.answer(errors.refusal(ServiceError("not_allowed")), show_alert=True)
        return
    if callback_data.period in PRESETS:
        days: tuple[date, date] | None = await services.exports.preset(
            member.org_id, callback_data.period
        )
    else:
        days = range_of_key(callback_data.period)
    if days is None:
        await query.answer()
        return
    first, last = days
    as_csv = callback_data.action == "csv"
    try:
        files = await _export(services, member, ctx.locale, first, last, as_csv=as_csv)
    except ServiceError as error:
        log.warning("refused %s on an export button from user %s", error.code, ctx.user.id)
        await query.answer(export_refusal(error, ctx.locale), show_alert=True)
        return
    label = screens.period_text(first, last + timedelta(days=1), ctx.locale)
    await show(query, screens.export_sent(label), None if as_csv else csv_again(first, last))
    await _send(bot, ctx.user.id, files)


@routes.callback_query(StatsStep.filter(F.action == "xfmt"))
async def export_format(query: CallbackQuery, callback_data: StatsStep, ctx: Context) -> None:
    """The export screen as CSV files, or back to the workbook."""
    if ctx.member is None or not Role(ctx.member.role).at_least(Role.MANAGER):
        await query.answer(errors.refusal(ServiceError("not_allowed")), show_alert=True)
        return
    text, markup = screens.export_screen(callback_data.period == "csv", ctx.locale)
    await show(query, text, markup)


async def _export(
    services: Services, member: MemberView, locale: str, first: date, last: date, as_csv: bool
) -> list[ExportFile]:
    data = await services.exports.data(member.org_id, first, last, member.role)
    labels = export_labels(data.policy, locale)
    # Building a year's workbook takes a while: off the event loop.
    return await asyncio.to_thread(export_files, data, labels, as_csv)


async def _send(bot: Bot, chat_id: int, files: list[ExportFile]) -> None:
    for file in files:
        await bot.send_document(chat_id, BufferedInputFile(file.content, file.name))
