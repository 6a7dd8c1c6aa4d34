"""/stats for managers (the organisation or a team) and supervisors (their team), and /export
of cases and events as CSV for managers."""

from __future__ import annotations

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
from bot.services import Services
from bot.services.context import Context, MemberView
from bot.services.digests import period
from bot.services.errors import ServiceError
from bot.services.metrics import local_bounds
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


def typed_range(argument: str, locale: str) -> tuple[date, date] | None:
    """The first and the end (exclusive) of a typed period: ISO days, or 01.11.2026 in uk/ru."""
    parts = argument.split()
    if len(parts) != 2:
        return None
    first, last = parse_day(parts[0], locale), parse_day(parts[1], locale)
    if first is None or last is None:
        return None
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
async def export(message: Message, ctx: Context) -> None:
    assert ctx.member is not None
    if not Role(ctx.member.role).at_least(Role.MANAGER):
        await message.answer(errors.refusal(ServiceError("not_allowed")))
        return
    text, markup = screens.export_screen()
    await message.answer(text, reply_markup=markup)


@routes.callback_query(StatsStep.filter(F.action == "export"))
async def export_period(
    query: CallbackQuery, callback_data: StatsStep, ctx: Context, services: Services, bot: Bot
) -> None:
    member = ctx.member
    if member is None or not Role(member.role).at_least(Role.MANAGER):
        log.warning("refused an export button from user %s", ctx.user.id)
        await query.answer(errors.refusal(ServiceError("not_allowed")), show_alert=True)
        return
    if callback_data.period not in ("tw", "lw", "tm"):
        await query.answer()
        return
    policy = (await services.policies.in_force(member.org_id)).policy
    first, end = period(policy, services.clock.now(), callback_data.period)
    start, stop = local_bounds(first, end, policy.timezone)
    cases = await services.exports.cases_csv(member.org_id, start, stop)
    events = await services.exports.events_csv(member.org_id, start, stop)
    stamp = f"{first.isoformat()}_{(end - timedelta(days=1)).isoformat()}"
    label = screens.period_text(first, end, ctx.locale)
    await show(query, screens.export_sent(label))
    await bot.send_document(ctx.user.id, BufferedInputFile(cases, f"cases_{stamp}.csv"))
    await bot.send_document(ctx.user.id, BufferedInputFile(events, f"events_{stamp}.csv"))
