"""/queue: what waits for a supervisor's decision and their team's open cases; each request's
card and each case's card open as a new message, so the queue stays where it was."""

from __future__ import annotations

import logging

from aiogram import Bot, F
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.render import errors
from bot.render import escalations as approval
from bot.render import queue as screens
from bot.render.callbacks import QueueStep
from bot.services import Services
from bot.services.context import Context
from bot.services.errors import ServiceError
from handlers.case_view import card_screen
from handlers.routing import Routes
from handlers.screens import show

routes = Routes("queue")
log = logging.getLogger(__name__)


async def _refuse(query: CallbackQuery, error: ServiceError) -> None:
    log.warning("refused %s on a queue button from user %s", error.code, query.from_user.id)
    await query.answer(errors.refusal(error), show_alert=True)


@routes.message(Command("queue"))
async def show_queue(message: Message, ctx: Context, services: Services) -> None:
    assert ctx.member is not None
    try:
        found = await services.queue.requests(ctx.member)
    except ServiceError as error:
        await message.answer(errors.refusal(error))
        return
    policy = (await services.policies.in_force(ctx.member.org_id)).policy
    follow_ups = await services.follow_ups.open_for_team(ctx.member)
    await show(message, *screens.requests(found, policy, ctx.locale, follow_ups))


@routes.callback_query(QueueStep.filter(F.action.in_({"req", "cases"})))
async def turn_page(
    query: CallbackQuery, callback_data: QueueStep, ctx: Context, services: Services
) -> None:
    """A page of the requests, or of the open cases under a filter; the same message."""
    assert ctx.member is not None
    policy = (await services.policies.in_force(ctx.member.org_id)).policy
    try:
        if callback_data.action == "req":
            found = await services.queue.requests(ctx.member, callback_data.page)
            follow_ups = await services.follow_ups.open_for_team(ctx.member)
            await show(query, *screens.requests(found, policy, ctx.locale, follow_ups))
            return
        cases = await services.queue.team_cases(
            ctx.member, policy, callback_data.page, callback_data.state
        )
    except ServiceError as error:
        await _refuse(query, error)
        return
    now = services.clock.now()
    await show(query, *screens.team_cases(cases, policy, ctx.locale, now))


@routes.callback_query(QueueStep.filter(F.action == "card"))
async def open_request(
    query: CallbackQuery, callback_data: QueueStep, ctx: Context, services: Services, bot: Bot
) -> None:
    """The request's approval card below the queue (decided already: how it was decided)."""
    try:
        view = await services.escalations.for_approver(query.from_user.id, callback_data.item)
    except ServiceError as error:
        await _refuse(query, error)
        return
    policy = (await services.policies.in_force(view.org_id)).policy
    if view.state == "pending":
        text, markup = approval.card(view, policy, ctx.locale, services.clock.now())
    else:
        text, markup = approval.decided_card(view, policy, ctx.locale)
    await bot.send_message(query.from_user.id, text, reply_markup=markup)
    await query.answer()


@routes.callback_query(QueueStep.filter(F.action == "case"))
async def open_case(
    query: CallbackQuery, callback_data: QueueStep, ctx: Context, services: Services, bot: Bot
) -> None:
    """A team case's card below the queue."""
    try:
        text, markup = await card_screen(ctx, services, callback_data.item)
    except ServiceError as error:
        await _refuse(query, error)
        return
    await bot.send_message(query.from_user.id, text, reply_markup=markup)
    await query.answer()
