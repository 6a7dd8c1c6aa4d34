"""The customer's side of a survey link: language → CSAT → CES → comment → thanks."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n

from bot.render import onboarding, survey
from bot.render.callbacks import LanguagePick, SurveyStep
from bot.services import Services
from bot.services.context import Context
from bot.services.errors import ServiceError
from bot.services.surveys import is_survey_token
from handlers.routing import Routes
from handlers.screens import show

routes = Routes("survey")


class SurveyFlow(StatesGroup):
    language = State()
    csat = State()
    ces = State()
    comment = State()


@routes.message(CommandStart(deep_link=True, magic=F.args.func(is_survey_token)))
async def open_survey(
    message: Message,
    command: CommandObject,
    ctx: Context,
    services: Services,
    state: FSMContext,
) -> None:
    try:
        survey_id = await services.surveys.open(command.args or "")
    except ServiceError as error:
        await state.clear()
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


@routes.message(SurveyFlow.comment, F.text)
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
    await state.clear()
    with i18n.use_locale(data["language"]):
        try:
            await services.surveys.answer(
                data["survey_id"],
                ctx.user.id,
                data["language"],
                data["csat"],
                data.get("ces"),
                text,
            )
        except ServiceError as error:
            await show(target, survey.problem(error.code))
            return
        await show(target, survey.thanks())
