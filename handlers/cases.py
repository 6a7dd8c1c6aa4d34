"""/new: log a case in seconds — category, one message, done; optional customer and words."""

from __future__ import annotations

import logging
import secrets
from decimal import Decimal
from html import escape
from typing import Any

from aiogram import Bot, F
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from bot.db.models import Role
from bot.i18n import format_money
from bot.money import parse_amount
from bot.render import cases as screens
from bot.render import errors
from bot.render import survey as survey_screens
from bot.render.callbacks import CaseStep
from bot.services import Services
from bot.services.cases import DESCRIPTION_LIMIT
from bot.services.context import Context
from bot.services.errors import ServiceError
from handlers.invite import qr_png
from handlers.routing import Routes
from handlers.screens import next_step, show
from policies.engine import Outcome
from policies.explain import explain, role_name

routes = Routes("cases")
log = logging.getLogger(__name__)


class NewCase(StatesGroup):
    category = State()
    description = State()
    customer = State()
    words = State()


async def _policy(services: Services, ctx: Context) -> Any:
    assert ctx.member is not None
    return (await services.policies.in_force(ctx.member.org_id)).policy


@routes.message(Command("new"))
@routes.message(F.text.func(lambda text: text in screens_new_labels()))
async def start_case(message: Message, ctx: Context, services: Services, state: FSMContext) -> None:
    policy = await _policy(services, ctx)
    await state.set_state(NewCase.category)
    await state.set_data({})
    text, markup = screens.choose_category(policy, ctx.locale)
    sent = await message.answer(text, reply_markup=markup)
    await state.update_data(screen_id=sent.message_id)


def screens_new_labels() -> set[str]:
    from bot.i18n import LOCALES, translations

    return {translations(locale).gettext("New case") for locale in LOCALES}


@routes.callback_query(NewCase.category, CaseStep.filter(F.action == "cat"))
async def pick_category(
    query: CallbackQuery,
    callback_data: CaseStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
) -> None:
    policy = await _policy(services, ctx)
    if callback_data.value not in policy.categories:
        await query.answer()
        return
    label = policy.categories[callback_data.value].get(ctx.locale)
    await state.update_data(category=callback_data.value, category_label=label)
    await state.set_state(NewCase.description)
    await show(query, *screens.ask_description(label))


@routes.message(NewCase.description, F.text | F.photo | F.voice)
async def take_description(message: Message, ctx: Context, state: FSMContext, bot: Bot) -> None:
    text = message.text or message.caption or ""
    if message.text and message.text.startswith("/"):
        return
    if len(text) > DESCRIPTION_LIMIT:
        # Refused now, while the person can still shorten it; the step stays.
        await message.answer(
            errors.refusal(ServiceError("description_too_long", limit=DESCRIPTION_LIMIT))
        )
        return
    photo = message.photo[-1].file_id if message.photo else None
    voice = message.voice.file_id if message.voice else None
    await state.update_data(description=text, photo=photo, voice=voice)
    await state.set_state(NewCase.customer)
    data = await state.get_data()
    await next_step(bot, ctx.user.id, state, *screens.ask_customer(data["category_label"]))


@routes.message(NewCase.customer, F.text)
async def take_customer(
    message: Message, ctx: Context, services: Services, state: FSMContext, bot: Bot
) -> None:
    assert ctx.member is not None and message.text is not None
    key = " ".join(message.text.split())
    await state.update_data(customer=key)
    history_text = None
    earlier, spent = await services.cases.customer_history(ctx.member, key)
    if earlier:
        history_text = screens.returning_customer(
            len(earlier), format_money(spent, ctx.member.currency, ctx.locale)
        )
    await state.set_state(NewCase.words)
    data = await state.get_data()
    await next_step(
        bot, ctx.user.id, state, *screens.ask_words(data["category_label"], history_text)
    )


@routes.message(NewCase.words, F.text)
async def take_words(
    message: Message, ctx: Context, services: Services, state: FSMContext, bot: Bot
) -> None:
    await state.update_data(words=message.text)
    await _create(ctx, services, state, bot, None)


@routes.callback_query(NewCase.customer, CaseStep.filter(F.action == "skip"))
async def skip_customer(query: CallbackQuery, state: FSMContext) -> None:
    data = await state.get_data()
    await state.set_state(NewCase.words)
    await show(query, *screens.ask_words(data["category_label"], None))


@routes.callback_query(NewCase.customer, CaseStep.filter(F.action == "create"))
@routes.callback_query(NewCase.words, CaseStep.filter(F.action == "create"))
async def create_now(
    query: CallbackQuery, ctx: Context, services: Services, state: FSMContext, bot: Bot
) -> None:
    await _create(ctx, services, state, bot, query)


async def _create(
    ctx: Context, services: Services, state: FSMContext, bot: Bot, query: CallbackQuery | None
) -> None:
    assert ctx.member is not None
    data = await state.get_data()
    try:
        case = await services.cases.create(
            ctx.member,
            category=data["category"],
            description=data.get("description", ""),
            customer_key=data.get("customer"),
            customer_words=data.get("words"),
            photo_file_id=data.get("photo"),
            voice_file_id=data.get("voice"),
        )
    except ServiceError as error:
        # Nothing is lost: the draft stays, the person fixes the one thing that was wrong.
        text = errors.refusal(error)
        if query is not None:
            await query.answer(text, show_alert=True)
        else:
            await bot.send_message(ctx.user.id, text)
        return
    await state.clear()
    screen = await _card(ctx, services, case.id)
    if query is not None:
        await show(query, *screen)
    else:
        if data.get("screen_id"):
            await bot.edit_message_reply_markup(
                chat_id=ctx.user.id, message_id=data["screen_id"], reply_markup=None
            )
        await bot.send_message(ctx.user.id, screen[0], reply_markup=screen[1])


def _first_money_remedy(policy: Any) -> str:
    return next((k for k, r in policy.remedies.items() if r.money), next(iter(policy.remedies)))


@routes.callback_query(CaseStep.filter(F.action == "back"))
async def back(
    query: CallbackQuery,
    callback_data: CaseStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
) -> None:
    data = await state.get_data()
    current = await state.get_state()
    if current == NewCase.description.state:
        await state.set_state(NewCase.category)
        await show(query, *screens.choose_category(await _policy(services, ctx), ctx.locale))
    elif current == NewCase.customer.state:
        await state.set_state(NewCase.description)
        await show(query, *screens.ask_description(data["category_label"]))
    elif current == NewCase.words.state:
        await state.set_state(NewCase.customer)
        await show(query, *screens.ask_customer(data["category_label"]))
    else:
        await query.answer()


class GiveRemedy(StatesGroup):
    remedy = State()
    amount = State()
    confirm = State()


async def _card(ctx: Context, services: Services, case_id: int) -> tuple[str, Any]:
    assert ctx.member is not None
    policy = await _policy(services, ctx)
    case = await services.cases.get(ctx.member, case_id)
    authority = None
    if case.state in ("open", "reopened"):
        authority = await services.cases.authority(ctx.member, _first_money_remedy(policy), case.id)
    deadline = await services.lifecycle.reopen_deadline(ctx.member, case.id)
    may_reopen = (
        deadline is not None
        and services.clock.now() < deadline
        and (ctx.member.id == case.reporter_id or Role(ctx.member.role).at_least(Role.SUPERVISOR))
    )
    rating = await services.surveys.result(ctx.member, case.id)
    history = screens.timeline(
        await services.cases.timeline(ctx.member, case.id), policy, ctx.member, ctx.locale
    )
    waiting = None
    if case.state == "escalated":
        role, names = await services.escalations.waiting_for(ctx.member, case.id)
        if names and role:
            waiting = f"{escape(', '.join(names))} ({role_name(role, ctx.locale)})"
    return screens.card(
        case, policy, ctx.member, ctx.locale, authority, may_reopen, rating, history, waiting
    )


async def _refuse(query: CallbackQuery, error: ServiceError) -> None:
    log.warning("refused %s on a case button from member %s", error.code, query.from_user.id)
    await query.answer(errors.refusal(error), show_alert=True)


@routes.callback_query(CaseStep.filter(F.action == "card"))
async def back_to_card(
    query: CallbackQuery,
    callback_data: CaseStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
) -> None:
    await state.clear()
    try:
        await show(query, *await _card(ctx, services, callback_data.case_id))
    except ServiceError as error:
        await _refuse(query, error)


@routes.callback_query(CaseStep.filter(F.action == "remedy"))
async def pick_remedy(
    query: CallbackQuery,
    callback_data: CaseStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
) -> None:
    assert ctx.member is not None
    try:
        case = await services.cases.for_action(ctx.member, callback_data.case_id)
    except ServiceError as error:
        await _refuse(query, error)
        return
    if case.state not in ("open", "reopened"):
        await _refuse(query, ServiceError("case_not_open"))
        return
    await state.set_state(GiveRemedy.remedy)
    await state.set_data({"case_id": case.id, "screen_id": _message_id(query)})
    await show(query, *screens.choose_remedy(case, await _policy(services, ctx), ctx.locale))


def _message_id(query: CallbackQuery) -> int | None:
    return query.message.message_id if query.message else None


@routes.callback_query(GiveRemedy.remedy, CaseStep.filter(F.action == "rem"))
async def chosen_remedy(
    query: CallbackQuery,
    callback_data: CaseStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
) -> None:
    assert ctx.member is not None
    policy = await _policy(services, ctx)
    remedy = policy.remedies.get(callback_data.value)
    data = await state.get_data()
    if remedy is None or data.get("case_id") != callback_data.case_id:
        await query.answer()
        return
    await state.update_data(remedy=remedy.key)
    case = await services.cases.get(ctx.member, callback_data.case_id)
    if not remedy.money:
        await _decide(query, ctx, services, state, Decimal(0))
        return
    authority = await services.cases.authority(ctx.member, remedy.key, case.id)
    await state.set_state(GiveRemedy.amount)
    line = screens.authority_line(authority, policy, ctx.member, ctx.locale)
    await show(
        query,
        *screens.ask_amount(
            case, remedy.labels.get(ctx.locale), ctx.member.currency, ctx.locale, line
        ),
    )


@routes.callback_query(GiveRemedy.confirm, CaseStep.filter(F.action == "amount"))
async def back_to_amount(
    query: CallbackQuery,
    callback_data: CaseStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
) -> None:
    data = await state.get_data()
    await chosen_remedy(
        query,
        CaseStep(action="rem", value=data.get("remedy", ""), case_id=callback_data.case_id),
        ctx,
        services,
        state,
    )


@routes.message(GiveRemedy.amount, F.text)
async def typed_amount(
    message: Message, ctx: Context, services: Services, state: FSMContext, bot: Bot
) -> None:
    assert ctx.member is not None and message.text is not None
    if message.text.startswith("/"):
        return
    try:
        amount = parse_amount(message.text, ctx.locale, ctx.member.currency)
    except ServiceError as error:
        # The step stays; the person types the amount again.
        await message.answer(errors.refusal(error))
        return
    await _decide(None, ctx, services, state, amount, bot)


async def _decide(
    query: CallbackQuery | None,
    ctx: Context,
    services: Services,
    state: FSMContext,
    amount: Decimal,
    bot: Bot | None = None,
) -> None:
    assert ctx.member is not None
    data = await state.get_data()
    policy = await _policy(services, ctx)
    case = await services.cases.get(ctx.member, data["case_id"])
    decision = await services.cases.preview(ctx.member, case.id, data["remedy"], amount)
    # A fresh key per confirmation screen: a double tap on it records one spend.
    await state.update_data(amount=str(amount), request_key=secrets.token_urlsafe(16))
    await state.set_state(GiveRemedy.confirm)
    money = ctx.member.currency
    screen = screens.decision_screen(
        case,
        policy.remedies[data["remedy"]].labels.get(ctx.locale),
        format_money(amount, money, ctx.locale),
        decision,
        explain(decision, policy, ctx.locale),
        format_money(decision.now, money, ctx.locale),
        format_money(decision.rest, money, ctx.locale),
    )
    if query is not None:
        await show(query, *screen)
    else:
        assert bot is not None
        await next_step(bot, ctx.user.id, state, *screen)


@routes.callback_query(GiveRemedy.confirm, CaseStep.filter(F.action == "go"))
async def confirm(
    query: CallbackQuery,
    callback_data: CaseStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
) -> None:
    assert ctx.member is not None
    data = await state.get_data()
    if data.get("case_id") != callback_data.case_id:
        await query.answer()
        return
    try:
        result = await services.cases.give(
            ctx.member,
            callback_data.case_id,
            data["remedy"],
            Decimal(data["amount"]),
            data["request_key"],
            mode=callback_data.value,
        )
    except ServiceError as error:
        await _refuse(query, error)
        return
    if (
        result.given == 0
        and result.escalated == 0
        and not result.repeated
        and (result.decision.outcome != Outcome.ALLOWED)
    ):
        # Authority changed since the screen was shown (someone spent meanwhile): show anew.
        await _decide(query, ctx, services, state, Decimal(data["amount"]))
        return
    await state.clear()
    policy = await _policy(services, ctx)
    case = await services.cases.get(ctx.member, callback_data.case_id)
    money = ctx.member.currency
    approvers = None
    if result.approvers and result.approver_role:
        approvers = "{names} ({role})".format(
            names=escape(", ".join(result.approvers)),
            role=role_name(result.approver_role, ctx.locale),
        )
    elif result.approver_role and not result.admins:
        approvers = role_name(result.approver_role, ctx.locale)
    screen = screens.given_screen(
        case,
        policy.remedies[data["remedy"]].labels.get(ctx.locale),
        format_money(result.given, money, ctx.locale) if result.given else None,
        format_money(result.escalated, money, ctx.locale) if result.escalated else None,
        approvers,
        escape(", ".join(result.admins)) if result.admins else None,
    )
    await show(query, *screen)


@routes.message(Command("authority"))
async def show_authority(message: Message, ctx: Context, services: Services) -> None:
    assert ctx.member is not None
    policy = await _policy(services, ctx)
    decisions = [
        (remedy, await services.cases.authority(ctx.member, remedy)) for remedy in policy.remedies
    ]
    await message.answer(screens.authority_screen(decisions, policy, ctx.member, ctx.locale))


class ResolveCase(StatesGroup):
    outcome = State()
    first_contact = State()
    note = State()


class ReopenCase(StatesGroup):
    reason = State()


async def _case_or_refuse(
    query: CallbackQuery, ctx: Context, services: Services, case_id: int
) -> Any:
    assert ctx.member is not None
    try:
        return await services.cases.for_action(ctx.member, case_id)
    except ServiceError as error:
        await _refuse(query, error)
        return None


@routes.callback_query(CaseStep.filter(F.action == "resolve"))
async def start_resolve(
    query: CallbackQuery,
    callback_data: CaseStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
) -> None:
    case = await _case_or_refuse(query, ctx, services, callback_data.case_id)
    if case is None:
        return
    await state.set_state(ResolveCase.outcome)
    await state.set_data({"case_id": case.id, "screen_id": _message_id(query)})
    await show(query, *screens.ask_outcome(case))


@routes.callback_query(ResolveCase.outcome, CaseStep.filter(F.action == "out"))
async def chosen_outcome(
    query: CallbackQuery,
    callback_data: CaseStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
) -> None:
    case = await _case_or_refuse(query, ctx, services, callback_data.case_id)
    if case is None or callback_data.value not in screens.OUTCOME_LABELS:
        return
    await state.update_data(outcome=callback_data.value)
    await state.set_state(ResolveCase.first_contact)
    await show(query, *screens.ask_first_contact(case))


@routes.callback_query(ResolveCase.first_contact, CaseStep.filter(F.action == "fc"))
async def chosen_first_contact(
    query: CallbackQuery,
    callback_data: CaseStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
) -> None:
    case = await _case_or_refuse(query, ctx, services, callback_data.case_id)
    if case is None:
        return
    await state.update_data(first_contact=callback_data.value == "yes")
    await state.set_state(ResolveCase.note)
    await show(query, *screens.ask_note(case))


@routes.callback_query(ResolveCase.note, CaseStep.filter(F.action == "finish"))
async def finish_without_note(
    query: CallbackQuery, ctx: Context, services: Services, state: FSMContext, bot: Bot
) -> None:
    await _resolve(ctx, services, state, bot, query, None)


@routes.message(ResolveCase.note, F.text)
async def finish_with_note(
    message: Message, ctx: Context, services: Services, state: FSMContext, bot: Bot
) -> None:
    if (message.text or "").startswith("/"):
        return
    await _resolve(ctx, services, state, bot, None, message.text)


async def _resolve(
    ctx: Context,
    services: Services,
    state: FSMContext,
    bot: Bot,
    query: CallbackQuery | None,
    note: str | None,
) -> None:
    assert ctx.member is not None
    data = await state.get_data()
    try:
        await services.lifecycle.resolve(
            ctx.member, data["case_id"], data["outcome"], bool(data["first_contact"]), note
        )
    except ServiceError as error:
        if query is not None:
            await _refuse(query, error)
        else:
            await bot.send_message(ctx.user.id, errors.refusal(error))
        if error.code != "note_too_long":
            await state.clear()
        return
    await state.clear()
    screen = await _card(ctx, services, data["case_id"])
    if query is not None:
        await show(query, *screen)
    else:
        await next_step(bot, ctx.user.id, state, *screen)


@routes.callback_query(CaseStep.filter(F.action == "reopen"))
async def start_reopen(
    query: CallbackQuery,
    callback_data: CaseStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
) -> None:
    case = await _case_or_refuse(query, ctx, services, callback_data.case_id)
    if case is None:
        return
    await state.set_state(ReopenCase.reason)
    await state.set_data({"case_id": case.id, "screen_id": _message_id(query)})
    await show(query, *screens.ask_reopen_reason(case))


@routes.message(ReopenCase.reason, F.text)
async def reopen_with_reason(
    message: Message, ctx: Context, services: Services, state: FSMContext, bot: Bot
) -> None:
    assert ctx.member is not None and message.text is not None
    if message.text.startswith("/"):
        return
    data = await state.get_data()
    try:
        await services.lifecycle.reopen(ctx.member, data["case_id"], message.text)
    except ServiceError as error:
        await message.answer(errors.refusal(error))
        if error.code in ("reason_needed", "note_too_long"):
            return
        await state.clear()
        return
    await state.clear()
    await next_step(bot, ctx.user.id, state, *await _card(ctx, services, data["case_id"]))


@routes.message(Command("reopen"))
async def reopen_typed(
    message: Message, ctx: Context, services: Services, state: FSMContext, bot: Bot
) -> None:
    """/reopen K-7Q4F: a typed attempt gets the card (with the button) or the reason why not."""
    assert ctx.member is not None
    code = (message.text or "").partition(" ")[2].strip().upper()
    try:
        case = await services.cases.find(ctx.member, code)
        deadline = await services.lifecycle.reopen_deadline(ctx.member, case.id)
        if deadline is None:
            raise ServiceError("case_not_resolved")
        if services.clock.now() >= deadline:
            policy = await _policy(services, ctx)
            raise ServiceError("reopen_window_over", days=policy.reopen_window_days)
    except ServiceError as error:
        await message.answer(errors.refusal(error))
        return
    await state.set_state(ReopenCase.reason)
    await state.set_data({"case_id": case.id})
    await next_step(bot, ctx.user.id, state, *screens.ask_reopen_reason(case))


@routes.callback_query(CaseStep.filter(F.action == "void"))
async def ask_void(
    query: CallbackQuery, callback_data: CaseStep, ctx: Context, services: Services
) -> None:
    case = await _case_or_refuse(query, ctx, services, callback_data.case_id)
    if case is not None:
        await show(query, *screens.confirm_void(case))


@routes.callback_query(CaseStep.filter(F.action == "voidok"))
async def void(
    query: CallbackQuery,
    callback_data: CaseStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
) -> None:
    assert ctx.member is not None
    try:
        await services.lifecycle.void(ctx.member, callback_data.case_id)
    except ServiceError as error:
        await _refuse(query, error)
        return
    await state.clear()
    await show(query, *await _card(ctx, services, callback_data.case_id))


@routes.callback_query(CaseStep.filter(F.action == "survey"))
async def ask_the_customer(
    query: CallbackQuery, callback_data: CaseStep, ctx: Context, services: Services, bot: Bot
) -> None:
    assert ctx.member is not None
    try:
        token = await services.surveys.issue(ctx.member, callback_data.case_id)
    except ServiceError as error:
        await _refuse(query, error)
        return
    me = await bot.me()
    link = f"https://t.me/{me.username}?start={token}"
    await bot.send_photo(
        ctx.user.id,
        BufferedInputFile(qr_png(link), filename="survey.png"),
        caption=survey_screens.link_caption(link),
    )
    await query.answer()


@routes.message(Command("case"))
async def open_by_code(message: Message, ctx: Context, services: Services) -> None:
    """/case K-7Q4F: the card of a case of this organisation."""
    assert ctx.member is not None
    code = (message.text or "").partition(" ")[2].strip().upper()
    try:
        case = await services.cases.find(ctx.member, code)
        text, markup = await _card(ctx, services, case.id)
    except ServiceError as error:
        await message.answer(errors.refusal(error))
        return
    await message.answer(text, reply_markup=markup)


@routes.message(Command("my"))
async def my_cases(message: Message, ctx: Context, services: Services) -> None:
    assert ctx.member is not None
    cases, page, pages = await services.cases.mine(ctx.member, 0)
    policy = await _policy(services, ctx)
    await show(message, *screens.my_cases(cases, page, pages, policy, ctx.locale))


@routes.callback_query(CaseStep.filter(F.action == "my"))
async def my_cases_page(
    query: CallbackQuery, callback_data: CaseStep, ctx: Context, services: Services
) -> None:
    assert ctx.member is not None
    page = int(callback_data.value) if callback_data.value.isdigit() else 0
    cases, page, pages = await services.cases.mine(ctx.member, page)
    policy = await _policy(services, ctx)
    await show(query, *screens.my_cases(cases, page, pages, policy, ctx.locale))
