"""The customer's side of a survey link: language → CSAT → CES → comment → thanks. The
customer is a guest, not a member: whatever else they send gets a guest's line."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command, CommandObject, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n

from bot.render import onboarding, survey
from bot.render.callbacks import Cancel, LanguagePick, SurveyStep
from bot.services import Services
from bot.services.context import Context
from bot.services.errors import ServiceError
from bot.services.surveys import is_survey_token
from handlers.filters import Typed
from handlers.routing import Routes
from handlers.screens import show

routes = Routes("survey")


class SurveyFlow(StatesGroup):
    language = State()
    csat = State()
    ces = State()
    comment = State()
    # Answered: what the guest sends later is thanked, not taken for a stranger's.
    done = State()


QUESTIONS = (SurveyFlow.language, SurveyFlow.csat, SurveyFlow.ces)


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
        survey_id = await services.surveys.open(command.args or "")
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
    await state.set_state(SurveyFlow.language)
    await state.set_data({"survey_id": survey_id})
    await show(message, *onboarding.choose_language(ctx.locale))


@routes.callback_query(SurveyFlow.language, LanguagePick.filter())
async def pick_language(
    query: CallbackQuery, callback_data: LanguagePick, state: FSMContext, i18n: I18n
) -> None:
    await state.update_data(language=callback_data.code)
    await state.set_state(SurveyFlow.csat)
    with i18n.use_locale(callback_data.code):
        await show(query, *survey.ask_csat())


@routes.callback_query(SurveyFlow.csat, SurveyStep.filter(F.action == "csat"))
async def rated(
    query: CallbackQuery, callback_data: SurveyStep, state: FSMContext, i18n: I18n
) -> None:
    if not 1 <= callback_data.value <= 5:
        await query.answer()
        return
    await state.update_data(csat=callback_data.value)
    await state.set_state(SurveyFlow.ces)
    with i18n.use_locale((await state.get_data())["language"]):
        await show(query, *survey.ask_ces())


@routes.callback_query(SurveyFlow.ces, SurveyStep.filter(F.action.in_({"ces", "skip"})))
async def effort(
    query: CallbackQuery, callback_data: SurveyStep, state: FSMContext, i18n: I18n
) -> None:
    if callback_data.action == "ces" and not 1 <= callback_data.value <= 7:
        await query.answer()
        return
    await state.update_data(ces=callback_data.value if callback_data.action == "ces" else None)
    await state.set_state(SurveyFlow.comment)
    with i18n.use_locale((await state.get_data())["language"]):
        await show(query, *survey.ask_comment())


@routes.callback_query(SurveyFlow.comment, SurveyStep.filter(F.action == "finish"))
async def finish(
    query: CallbackQuery, ctx: Context, services: Services, state: FSMContext, i18n: I18n
) -> None:
    await _save(query, None, ctx, services, state, i18n)


@routes.message(SurveyFlow.comment, Typed())
async def comment(
    message: Message, ctx: Context, services: Services, state: FSMContext, i18n: I18n
) -> None:
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
            )
        except ServiceError as error:
            if error.code == "survey_used":
                await _finished(state, language)  # someone answered first: that answer stands
            else:
                await state.clear()
            await show(target, survey.problem(error.code))
            return
        await _finished(state, language)
        await show(target, survey.thanks())


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
