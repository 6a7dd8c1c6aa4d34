"""Two independent Bot API clients against the sandbox: aiogram (which runs our bot) and
python-telegram-bot (which does not), each behaving as it would with Telegram."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import telegram
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup
from telegram import error as ptb_error

from bot.sandbox import Sandbox

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000030000000208060000009d74cb"
    "ee0000001049444154789c63f8ffffff7f060000fbff04fe0a0e8c2a0000000049454e44ae426082"
)


@pytest.fixture
async def aiogram_bot(sandbox: Sandbox) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(sandbox.url))
    bot = Bot(sandbox.token, session=session)
    yield bot
    await bot.session.close()


@pytest.fixture
async def ptb_bot(sandbox: Sandbox) -> AsyncIterator[telegram.Bot]:
    bot = telegram.Bot(
        sandbox.token, base_url=f"{sandbox.url}/bot", base_file_url=f"{sandbox.url}/file/bot"
    )
    async with bot:
        yield bot


async def test_aiogram_sends_edits_and_uploads(sandbox: Sandbox, aiogram_bot: Bot) -> None:
    olena = sandbox.user(42, "Olena")
    await olena.send("hi")
    me = await aiogram_bot.get_me()
    assert me.username == "casebot_sandbox_bot"
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Give", callback_data="give:1")]]
    )
    sent = await aiogram_bot.send_message(
        42, "<b>Case K-7Q4F</b> &amp; co", parse_mode="HTML", reply_markup=keyboard
    )
    assert sent.text == "Case K-7Q4F & co"
    assert sent.entities is not None and sent.entities[0].type == "bold"
    edited = await aiogram_bot.edit_message_text(
        "Step 2", chat_id=42, message_id=sent.message_id, reply_markup=keyboard
    )
    assert not isinstance(edited, bool) and edited.edit_date is not None
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await aiogram_bot.edit_message_text(
            "Step 2", chat_id=42, message_id=sent.message_id, reply_markup=keyboard
        )
    await aiogram_bot.edit_message_reply_markup(chat_id=42, message_id=sent.message_id)
    assert olena.last is not None and olena.last.buttons == []

    photo = await aiogram_bot.send_photo(
        42, BufferedInputFile(PNG, "qr.png"), caption="<i>scan</i>", parse_mode="HTML"
    )
    assert photo.photo is not None and (photo.photo[-1].width, photo.photo[-1].height) == (3, 2)
    assert olena.last.photo == PNG and olena.last.caption == "scan"
    document = await aiogram_bot.send_document(42, BufferedInputFile(b"a,b\n1,2\n", "cases.csv"))
    assert document.document is not None and document.document.file_name == "cases.csv"
    assert olena.last.document == (b"a,b\n1,2\n", "cases.csv")

    await olena.press_data("give:1", sent.message_id)
    updates = await aiogram_bot.get_updates()
    query = updates[-1].callback_query
    assert query is not None and query.data == "give:1"
    assert await aiogram_bot.answer_callback_query(query.id, text="OK")


async def test_aiogram_raises_telegrams_errors(sandbox: Sandbox, aiogram_bot: Bot) -> None:
    await sandbox.user(42, "Olena").send("hi")
    sandbox.fail_next("sendMessage", status=429, retry_after=5)
    with pytest.raises(TelegramRetryAfter) as retry:
        await aiogram_bot.send_message(42, "x")
    assert retry.value.retry_after == 5
    sandbox.block(42)
    with pytest.raises(TelegramForbiddenError):
        await aiogram_bot.send_message(42, "x")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await aiogram_bot.send_message(999, "x")


async def test_python_telegram_bot_gets_sends_edits_and_answers(
    sandbox: Sandbox, ptb_bot: telegram.Bot
) -> None:
    me = await ptb_bot.get_me()
    assert (me.id, me.username, me.is_bot) == (sandbox.bot_id, "casebot_sandbox_bot", True)

    dmytro = sandbox.user(77, "Dmytro", language_code="ru")
    await dmytro.send("/queue")
    (update,) = await ptb_bot.get_updates()
    assert isinstance(update, telegram.Update)
    assert update.message is not None and update.message.text == "/queue"
    assert update.effective_user is not None and update.effective_user.language_code == "ru"

    keyboard = telegram.InlineKeyboardMarkup(
        [[telegram.InlineKeyboardButton("Одобрить", callback_data="ap:1")]]
    )
    sent = await ptb_bot.send_message(77, "<b>Запрос</b>", parse_mode="HTML", reply_markup=keyboard)
    assert sent.text == "Запрос" and sent.reply_markup == keyboard
    edited = await ptb_bot.edit_message_text(
        "Решено", chat_id=77, message_id=sent.message_id, reply_markup=keyboard
    )
    assert isinstance(edited, telegram.Message) and edited.text == "Решено"

    await dmytro.press("Одобрить")
    updates = await ptb_bot.get_updates(offset=update.update_id + 1)
    query = updates[-1].callback_query
    assert query is not None and query.data == "ap:1"
    assert query.message is not None and query.message.message_id == sent.message_id
    assert await ptb_bot.answer_callback_query(query.id, text="Готово")
    assert [a.text for a in dmytro.callback_answers] == ["Готово"]

    photo = await ptb_bot.send_photo(77, PNG, caption="QR")
    assert photo.photo[-1].width == 3 and dmytro.last is not None and dmytro.last.photo == PNG


async def test_python_telegram_bot_sees_telegrams_errors(
    sandbox: Sandbox, ptb_bot: telegram.Bot
) -> None:
    await sandbox.user(77, "Dmytro").send("hi")
    with pytest.raises(ptb_error.BadRequest, match="Message text is empty"):
        await ptb_bot.send_message(77, "")
    with pytest.raises(ptb_error.BadRequest, match="Can't parse entities"):
        await ptb_bot.send_message(77, "<b>x", parse_mode="HTML")
    sandbox.fail_next("sendMessage", status=429, retry_after=3)
    with pytest.raises(ptb_error.RetryAfter) as retry:
        await ptb_bot.send_message(77, "x")
    waited = retry.value.retry_after
    assert (waited if isinstance(waited, int) else waited.total_seconds()) == 3
    sandbox.block(77)
    with pytest.raises(ptb_error.Forbidden, match="blocked by the user"):
        await ptb_bot.send_message(77, "x")


OGG = b"OggS\x00\x02" + b"\x00" * 20 + b"OpusHead" + b"\x01" * 11


async def test_both_clients_read_and_send_voice_notes(
    sandbox: Sandbox, aiogram_bot: Bot, ptb_bot: telegram.Bot
) -> None:
    olena = sandbox.user(42, "Olena")
    await olena.send_voice(OGG, duration=4, caption="noise")
    (update,) = await ptb_bot.get_updates()
    assert update.message is not None and update.message.voice is not None
    voice = update.message.voice
    assert (voice.duration, voice.mime_type, voice.file_size) == (4, "audio/ogg", len(OGG))
    assert update.message.caption == "noise"
    assert bytes(await (await voice.get_file()).download_as_bytearray()) == OGG

    # python-telegram-bot uploads a voice note; aiogram sends it again by its file id.
    sent = await ptb_bot.send_voice(42, OGG, duration=4, caption="<i>again</i>", parse_mode="HTML")
    assert sent.voice is not None and sent.voice.duration == 4 and sent.caption == "again"
    assert olena.last is not None and olena.last.voice == OGG
    resent = await aiogram_bot.send_voice(42, voice.file_id, caption="K-7Q4F")
    assert resent.voice is not None and resent.voice.file_unique_id == voice.file_unique_id
    assert resent.caption == "K-7Q4F" and olena.last.voice == OGG
    (aiogram_update,) = await aiogram_bot.get_updates(offset=update.update_id)
    assert aiogram_update.message is not None and aiogram_update.message.voice is not None
    assert aiogram_update.message.voice.file_id == voice.file_id
