"""The customer's side of a survey link: CSAT → CES → NPS (when the policy asks it) →
comment → thanks, in the language of their Telegram, with the other languages one tap away
under each question. The customer is a guest, not a member: whatever else they send gets a
guest's line."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from aiogram import F
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n

from bot.i18n import LOCALES
from bot.render import survey
from bot.render.callbacks import Cancel, LanguagePick, SurveyStep
from bot.services import Services
from bot.services.context import Context
from bot.services.errors import ServiceError
from bot.services.surveys import is_survey_token
from bot.services.typed import COMMENT_LIMIT, units
from handlers.filters import Typed
from handlers.routing import Routes
from handlers.screens import next_step, show

routes = Routes("survey")


class SurveyFlow(StatesGroup):
    csat = State()
    ces = State()
    nps = State()
    comment = State()
    # Answered: what the guest sends later is thanked, not taken for a stranger's.
    done = State()


QUESTIONS = (SurveyFlow.csat, SurveyFlow.ces, SurveyFlow.nps)  # answered by a tap
ASKING = (*QUESTIONS, SurveyFlow.comment)


@routes.message(CommandStart(deep_link=True, magic=F.args.func(is_survey_token)))
async def open_survey(
    message: Message,
    command: CommandObject,
    ctx: Context,
    services: Services,
    state: FSMContext,
    i18n: I18n,
) -> None:
    try:
        opened = await services.surveys.open(command.args or "")
    except ServiceError as error:
        language = ctx.locale
        if error.code == "survey_used" and error.params.get("by") == ctx.user.id:
            # The same guest again: in the language they answered in.
            language = str(error.params.get("language") or language)
            await _finished(state, language)
        else:
            await state.clear()
        with i18n.use_locale(language):
            await message.answer(survey.problem(error.code))
        return
    # No language question first: the guest's Telegram language, switchable below the stars.
    await state.set_state(SurveyFlow.csat)
    await state.set_data(
        {
            "survey_id": opened.survey_id,
            "org": opened.org_name,
            "language": ctx.locale,
            "asks_nps": opened.asks_nps,
            "recovery": opened.recovery,
        }
    )
    await _ask(message, state, i18n)


@routes.callback_query(StateFilter(*ASKING), LanguagePick.filter(F.code.in_(LOCALES)))
async def switch_language(
    query: CallbackQuery, callback_data: LanguagePick, state: FSMContext, i18n: I18n
) -> None:
    """The same question again in another language; the answers so far stay."""
    await state.update_data(language=callback_data.code)
    await _ask(query, state, i18n)


@routes.callback_query(SurveyFlow.csat, SurveyStep.filter(F.action == "csat"))
async def rated(
    query: CallbackQuery,
    callback_data: SurveyStep,
    ctx: Context,
    services: Services,
    state: FSMContext,
    i18n: I18n,
) -> None:
    if not 1 <= callback_data.value <= 5:
        await query.answer()
        return
    await state.update_data(csat=callback_data.value)
    if (await state.get_data()).get("recovery"):
        # A re-survey asks one question: its answer is the whole of it.
        await _save(query, None, ctx, services, state, i18n)
        return
    await state.set_state(SurveyFlow.ces)
    await _ask(query, state, i18n)


@routes.callback_query(SurveyFlow.ces, SurveyStep.filter(F.action.in_({"ces", "skip"})))
async def effort(
    query: CallbackQuery, callback_data: SurveyStep, state: FSMContext, i18n: I18n
) -> None:
    if callback_data.action == "ces" and not 1 <= callback_data.value <= 7:
        await query.answer()
        return
    await state.update_data(ces=callback_data.value if callback_data.action == "ces" else None)
    asks_nps = (await state.get_data()).get("asks_nps")
    await state.set_state(SurveyFlow.nps if asks_nps else SurveyFlow.comment)
    await _ask(query, state, i18n)


@routes.callback_query(SurveyFlow.nps, SurveyStep.filter(F.action.in_({"nps", "skip"})))
async def recommend(
    query: CallbackQuery, callback_data: SurveyStep, state: FSMContext, i18n: I18n
) -> None:
    if callback_data.action == "nps" and not 0 <= callback_data.value <= 10:
        await query.answer()
        return
    await state.update_data(nps=callback_data.value if callback_data.action == "nps" else None)
    await state.set_state(SurveyFlow.comment)
    await _ask(query, state, i18n)


async def _ask(target: Message | CallbackQuery, state: FSMContext, i18n: I18n) -> None:
    """The current step's question, in the guest's language, on the survey's one message."""
    data = await state.get_data()
    with i18n.use_locale(data["language"]):
        text, markup = _question(await state.get_state(), data)
    if isinstance(target, Message):
        sent = await target.answer(text, reply_markup=markup)
        await state.update_data(screen_id=sent.message_id)
        return
    screen = target.message
    if isinstance(screen, Message) and data.get("screen_id") != screen.message_id:
        await state.update_data(screen_id=screen.message_id)  # an older screen was tapped
    await show(target, text, markup)


def _question(step: str | None, data: dict[str, Any]) -> survey.Screen:
    if step == SurveyFlow.ces.state:
        return survey.ask_ces(data["language"])
    if step == SurveyFlow.nps.state:
        return survey.ask_nps(data["language"])
    if step == SurveyFlow.comment.state:
        return survey.ask_comment(data["language"], contact=bool(data.get("contact")))
    if data.get("recovery"):
        return survey.ask_better(data["org"], data["language"])
    return survey.ask_csat(data["org"], data["language"])


@routes.callback_query(SurveyFlow.comment, SurveyStep.filter(F.action == "contact"))
async def contact_me(query: CallbackQuery, state: FSMContext, i18n: I18n) -> None:
    """ "Please contact me": a follow-up opens whatever the rating; the comment step stays."""
    await state.update_data(contact=True)
    await _ask(query, state, i18n)


@routes.callback_query(SurveyFlow.comment, SurveyStep.filter(F.action == "finish"))
async def finish(
    query: CallbackQuery, ctx: Context, services: Services, state: FSMContext, i18n: I18n
) -> None:
    await _save(query, None, ctx, services, state, i18n)


@routes.message(SurveyFlow.comment, Typed())
async def comment(
    message: Message, ctx: Context, services: Services, state: FSMContext, i18n: I18n
) -> None:
    if units((message.text or "").strip()) > COMMENT_LIMIT:
        # The step stays, below the comment: shorter words, or Finish without them.
        language = (await state.get_data())["language"]
        assert message.bot is not None
        with i18n.use_locale(language):
            text, markup = survey.comment_too_long(
                language, COMMENT_LIMIT, contact=bool((await state.get_data()).get("contact"))
            )
        await next_step(message.bot, message.chat.id, state, text, markup)
        return
    await _save(message, message.text, ctx, services, state, i18n)


async def _save(
    target: Message | CallbackQuery,
    text: str | None,
    ctx: Context,
    services: Services,
    state: FSMContext,
    i18n: I18n,
) -> None:
    data = await state.get_data()
    language = data["language"]
    with i18n.use_locale(language):
        try:
            await services.surveys.answer(
                data["survey_id"],
                ctx.user.id,
                language,
                data["csat"],
                data.get("ces"),
                text,
                nps=data.get("nps"),
                contact=bool(data.get("contact")),
            )
        except ServiceError as error:
            if error.code == "survey_used":
                await _finished(state, language)  # someone answered first: that answer stands
            else:
                await state.clear()
            await _close(target, data.get("screen_id"), survey.problem(error.code))
            return
        await _finished(state, language)
        await _close(target, data.get("screen_id"), survey.thanks())


async def _close(target: Message | CallbackQuery, screen_id: int | None, text: str) -> None:
    """The last question becomes the closing words: nothing is left to tap."""
    if isinstance(target, CallbackQuery):
        await show(target, text)
        return
    if screen_id is not None and target.bot is not None:
        # A screen gone from the chat is no obstacle: the words then come as a new message.
        with suppress(TelegramBadRequest):
            await target.bot.edit_message_text(
                text, chat_id=target.chat.id, message_id=screen_id, reply_markup=None
            )
            return
    await target.answer(text)


async def _finished(state: FSMContext, language: str) -> None:
    await state.set_state(SurveyFlow.done)
    await state.set_data({"language": language})


# ---- a guest's everything else (members in a survey are handled as members) ----


def _guest(_: Message | CallbackQuery, ctx: Context) -> bool:
    return ctx.member is None


# An invite link still opens (a guest may be hired), and /cancel still leaves the survey.
_PASSES = (~F.text.startswith("/start "), ~Command("cancel"))


async def _language(state: FSMContext, ctx: Context) -> str:
    return str((await state.get_data()).get("language") or ctx.locale)


@routes.message(StateFilter(*QUESTIONS), _guest, *_PASSES)
async def guest_types_at_a_question(
    message: Message, ctx: Context, state: FSMContext, i18n: I18n
) -> None:
    with i18n.use_locale(await _language(state, ctx)):
        await message.answer(survey.use_the_buttons())


@routes.message(SurveyFlow.comment, _guest, *_PASSES)
async def guest_sends_a_command_for_a_comment(
    message: Message, ctx: Context, state: FSMContext, i18n: I18n
) -> None:
    with i18n.use_locale(await _language(state, ctx)):
        await message.answer(survey.type_or_finish())


@routes.message(SurveyFlow.done, _guest, *_PASSES)
async def guest_writes_after_answering(
    message: Message, ctx: Context, state: FSMContext, i18n: I18n
) -> None:
    with i18n.use_locale(await _language(state, ctx)):
        await message.answer(survey.recorded())


@routes.callback_query(StateFilter(SurveyFlow), _guest, ~Cancel.filter())
async def guest_taps_an_old_button(
    query: CallbackQuery, ctx: Context, state: FSMContext, i18n: I18n
) -> None:
    done = await state.get_state() == SurveyFlow.done.state
    with i18n.use_locale(await _language(state, ctx)):
        await query.answer(survey.recorded() if done else survey.use_the_buttons())
