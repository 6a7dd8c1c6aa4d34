"""The sandbox over raw HTTP: Telegram's answers, Telegram's refusals."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from bot.sandbox import Sandbox
from tests.sandbox.conftest import Call


async def test_get_me_and_bad_token(sandbox: Sandbox, call: Call) -> None:
    status, body = await call("getMe")
    assert status == 200 and body["ok"] is True
    assert body["result"]["username"] == "casebot_sandbox_bot"
    assert body["result"]["is_bot"] is True
    status, body = await call("getMe", token="1:wrong")
    assert (status, body) == (401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
    status, body = await call("launchRockets")
    assert status == 404 and body["description"] == "Not Found"


async def test_method_names_are_case_insensitive(call: Call) -> None:
    assert (await call("GETME"))[0] == 200


async def test_unknown_chat_and_blocked_user(sandbox: Sandbox, call: Call) -> None:
    status, body = await call("sendMessage", chat_id=555, text="hi")
    assert (status, body["description"]) == (400, "Bad Request: chat not found")
    user = sandbox.user(42, "Olena")
    await user.send("hello")
    assert (await call("sendMessage", chat_id=42, text="hi"))[0] == 200
    sandbox.block(42)
    status, body = await call("sendMessage", chat_id=42, text="hi")
    assert (status, body["description"]) == (403, "Forbidden: bot was blocked by the user")


@pytest.mark.parametrize(
    ("params", "description"),
    [
        ({"text": ""}, "Bad Request: message text is empty"),
        ({"text": "x" * 4097}, "Bad Request: message is too long"),
        # Counted as Telegram counts: an emoji is two UTF-16 code units; tags and entities
        # are not counted, what they show is.
        ({"text": "🙂" * 2049}, "Bad Request: message is too long"),
        (
            {"text": "<b>" + "&lt;" * 4097 + "</b>", "parse_mode": "HTML"},
            "Bad Request: message is too long",
        ),
        (
            {"text": "<b>bold", "parse_mode": "HTML"},
            "Bad Request: can't parse entities: "
            'Can\'t find end tag corresponding to start tag "b"',
        ),
        (
            {"text": "a <foo>b</foo>", "parse_mode": "HTML"},
            'Bad Request: can\'t parse entities: Unsupported start tag "foo" at byte offset 2',
        ),
        (
            {"text": "<b><i>x</b></i>", "parse_mode": "HTML"},
            "Bad Request: can't parse entities: Unmatched end tag at byte offset 7, "
            'expected "</i>", found "</b>"',
        ),
        (
            {"text": "x</b>", "parse_mode": "HTML"},
            "Bad Request: can't parse entities: Unexpected end tag at byte offset 1",
        ),
        (
            {
                "text": "pick",
                "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": "x" * 65}]]},
            },
            "Bad Request: BUTTON_DATA_INVALID",
        ),
        (
            {"text": "pick", "reply_markup": {"inline_keyboard": [[{"text": "A"}]]}},
            "Bad Request: can't parse inline keyboard button: "
            "Text buttons are unallowed in the inline keyboard",
        ),
    ],
)
async def test_rejections_match_telegram(
    sandbox: Sandbox, call: Call, params: dict[str, object], description: str
) -> None:
    await sandbox.user(42, "Olena").send("hi")
    status, body = await call("sendMessage", chat_id=42, **params)
    assert (status, body) == (400, {"ok": False, "error_code": 400, "description": description})


async def test_limits_count_text_after_entity_parsing(sandbox: Sandbox, call: Call) -> None:
    await sandbox.user(42, "Olena").send("hi")
    text = "<b>" + "x" * 4096 + "</b>"
    assert (await call("sendMessage", chat_id=42, text=text, parse_mode="HTML"))[0] == 200
    text = "<b>" + "&lt;" * 2048 + "</b>" + "🙂" * 1024
    assert (await call("sendMessage", chat_id=42, text=text, parse_mode="HTML"))[0] == 200
    # 64 bytes of callback data is the maximum, counted in UTF-8 bytes, not characters.
    ok = {"inline_keyboard": [[{"text": "A", "callback_data": "x" * 64}]]}
    assert (await call("sendMessage", chat_id=42, text="t", reply_markup=ok))[0] == 200
    cyrillic = {"inline_keyboard": [[{"text": "A", "callback_data": "ж" * 33}]]}
    status, _ = await call("sendMessage", chat_id=42, text="t", reply_markup=cyrillic)
    assert status == 400


async def test_html_becomes_text_and_utf16_entities(sandbox: Sandbox, call: Call) -> None:
    user = sandbox.user(42, "Olena")
    await user.send("hi")
    html = 'Ліміт 👍 <b>1 500,00 ₴</b> &lt;ok&gt; <a href="https://x.y/?a=1&amp;b=2">link</a>'
    status, body = await call("sendMessage", chat_id=42, text=html, parse_mode="HTML")
    assert status == 200
    message = body["result"]
    assert message["text"] == "Ліміт 👍 1 500,00 ₴ <ok> link"
    bold, link = message["entities"]
    # The emoji is two UTF-16 code units, as Telegram counts offsets.
    assert (bold["type"], bold["offset"], bold["length"]) == ("bold", 9, 10)
    assert link == {"type": "text_link", "offset": 25, "length": 4, "url": "https://x.y/?a=1&b=2"}
    assert user.last is not None and user.last.bold == ["1 500,00 ₴"]


async def test_edits_and_not_modified(sandbox: Sandbox, call: Call) -> None:
    user = sandbox.user(42, "Olena")
    await user.send("hi")
    keyboard = {"inline_keyboard": [[{"text": "Yes", "callback_data": "y"}]]}
    _, sent = await call("sendMessage", chat_id=42, text="Step 1", reply_markup=keyboard)
    message_id = sent["result"]["message_id"]
    status, edited = await call(
        "editMessageText", chat_id=42, message_id=message_id, text="Step 2", reply_markup=keyboard
    )
    assert status == 200 and edited["result"]["text"] == "Step 2"
    assert "edit_date" in edited["result"]
    status, body = await call(
        "editMessageText", chat_id=42, message_id=message_id, text="Step 2", reply_markup=keyboard
    )
    assert status == 400 and body["description"].startswith("Bad Request: message is not modified")
    status, body = await call("editMessageReplyMarkup", chat_id=42, message_id=message_id)
    assert status == 200 and "reply_markup" not in body["result"]
    status, body = await call("editMessageText", chat_id=42, message_id=999, text="x")
    assert body["description"] == "Bad Request: message to edit not found"
    status, body = await call("editMessageText", chat_id=42, message_id=1, text="x")
    assert body["description"] == "Bad Request: message can't be edited"
    assert (await call("deleteMessage", chat_id=42, message_id=message_id))[1]["result"] is True
    status, body = await call("deleteMessage", chat_id=42, message_id=message_id)
    assert body["description"] == "Bad Request: message to delete not found"
    assert [m.text for m in user.messages] == ["hi"]


async def test_long_poll_returns_when_a_user_writes(sandbox: Sandbox, call: Call) -> None:
    poll = asyncio.create_task(call("getUpdates", timeout=30))
    await sandbox.wait_for(lambda: True if sandbox._waiting_polls else None, 5)
    update_id = await sandbox.user(42, "Olena").send("/start abc")
    status, body = await asyncio.wait_for(poll, 5)
    assert status == 200
    (update,) = body["result"]
    assert update["update_id"] == update_id
    assert update["message"]["text"] == "/start abc"
    assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    # Not confirmed yet: returned again; confirmed by offset: gone.
    assert len((await call("getUpdates"))[1]["result"]) == 1
    assert (await call("getUpdates", offset=update_id + 1))[1]["result"] == []


async def test_offset_limit_and_negative_offset(sandbox: Sandbox, call: Call) -> None:
    user = sandbox.user(42, "Olena")
    ids = [await user.send(str(i)) for i in range(5)]
    _, body = await call("getUpdates", limit=2)
    assert [u["update_id"] for u in body["result"]] == ids[:2]
    _, body = await call("getUpdates", offset=ids[3])
    assert [u["update_id"] for u in body["result"]] == ids[3:]
    _, body = await call("getUpdates", offset=-1)
    assert [u["update_id"] for u in body["result"]] == ids[4:]


async def test_conflicts(sandbox: Sandbox, call: Call) -> None:
    first = asyncio.create_task(call("getUpdates", timeout=30))
    await sandbox.wait_for(lambda: True if sandbox._waiting_polls else None, 5)
    second = asyncio.create_task(call("getUpdates", timeout=1))
    status, body = await asyncio.wait_for(first, 5)
    assert status == 409 and body["description"].startswith("Conflict: terminated by other")
    await second
    assert (await call("setWebhook", url="https://example.org/hook"))[1]["result"] is True
    status, body = await call("getUpdates")
    assert status == 409 and "webhook is active" in body["description"]
    assert (await call("getWebhookInfo"))[1]["result"]["url"] == "https://example.org/hook"
    await call("deleteWebhook")
    assert (await call("getUpdates"))[0] == 200


async def test_injected_faults(sandbox: Sandbox, call: Call) -> None:
    sandbox.fail_next("getMe", status=429, retry_after=7)
    sandbox.fail_next("getMe", status=502)
    status, body = await call("getMe")
    assert (status, body) == (
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 7",
            "parameters": {"retry_after": 7},
        },
    )
    assert (await call("getMe"))[0] == 502
    assert (await call("getMe"))[0] == 200


async def test_command_menus_resolve_like_telegram(sandbox: Sandbox, call: Call) -> None:
    olena = sandbox.user(42, "Olena", language_code="uk")
    await olena.send("hi")
    await call("setMyCommands", commands=[{"command": "start", "description": "Join"}])
    await call(
        "setMyCommands",
        commands=[{"command": "start", "description": "Приєднатися"}],
        language_code="uk",
    )
    assert olena.commands == [("start", "Приєднатися")]
    chat_menu = [{"command": "help", "description": "Що я вмію"}]
    scope = {"type": "chat", "chat_id": 42}
    await call("setMyCommands", commands=chat_menu, scope=scope)
    assert olena.commands == [("help", "Що я вмію")]
    _, body = await call("getMyCommands", scope=scope)
    assert body["result"] == chat_menu
    _, body = await call("getMyCommands", scope=scope, language_code="uk")
    assert body["result"] == []  # Telegram does not fall back here
    await call("deleteMyCommands", scope=scope)
    assert olena.commands == [("start", "Приєднатися")]
    assert sandbox.user(43, "Bob", language_code="de").commands == [("start", "Join")]


async def test_callback_answers_once(sandbox: Sandbox, call: Call) -> None:
    user = sandbox.user(42, "Olena")
    await user.send("hi")
    keyboard = {"inline_keyboard": [[{"text": "Yes", "callback_data": "y"}]]}
    await call("sendMessage", chat_id=42, text="Sure?", reply_markup=keyboard)
    await user.press("Yes")
    _, body = await call("getUpdates")
    query = body["result"][-1]["callback_query"]
    assert query["data"] == "y" and query["message"]["text"] == "Sure?"
    assert (await call("answerCallbackQuery", callback_query_id=query["id"], text="Done"))[0] == 200
    status, body = await call("answerCallbackQuery", callback_query_id=query["id"])
    assert status == 400 and "query is too old" in body["description"]
    assert [a.text for a in user.callback_answers] == ["Done"]
    with pytest.raises(AssertionError, match="no button 'No'"):
        await user.press("No")


OGG = b"OggS\x00\x02" + b"\x00" * 20 + b"OpusHead" + b"\x01" * 11  # a voice note's first bytes


async def test_a_voice_note_is_an_update_a_file_and_can_be_sent_again(
    sandbox: Sandbox, call: Call
) -> None:
    olena = sandbox.user(42, "Olena")
    update_id = await olena.send_voice(OGG, duration=7)
    _, body = await call("getUpdates")
    (update,) = body["result"]
    assert update["update_id"] == update_id
    message = update["message"]
    assert "text" not in message and "caption" not in message
    voice = message["voice"]
    assert voice == {
        "file_id": voice["file_id"],
        "file_unique_id": voice["file_unique_id"],
        "duration": 7,
        "mime_type": "audio/ogg",
        "file_size": len(OGG),
    }

    # getFile and the download give back the very bytes.
    _, body = await call("getFile", file_id=voice["file_id"])
    assert body["result"]["file_size"] == len(OGG)
    async with aiohttp.ClientSession() as session:
        url = f"{sandbox.url}/file/bot{sandbox.token}/{body['result']['file_path']}"
        async with session.get(url) as response:
            assert response.status == 200 and await response.read() == OGG

    # The bot sends the note on by its file id, with a caption: the same file, same duration.
    status, body = await call(
        "sendVoice",
        chat_id=42,
        voice=voice["file_id"],
        caption="<b>Case K-7Q4F</b>",
        parse_mode="HTML",
    )
    assert status == 200
    sent = body["result"]
    assert sent["voice"]["file_unique_id"] == voice["file_unique_id"]
    assert sent["voice"]["duration"] == 7 and sent["caption"] == "Case K-7Q4F"
    assert olena.last is not None and olena.last.voice == OGG and olena.last.bold == ["Case K-7Q4F"]
    assert sandbox.deliveries[-1][1:] == ("sendvoice", 42)

    # A file id is of one kind, as in Telegram; an unknown one is refused.
    status, body = await call("sendPhoto", chat_id=42, photo=voice["file_id"])
    assert (status, body["description"]) == (400, "Bad Request: type of file mismatch")
    status, body = await call("sendVoice", chat_id=42, voice="nope")
    assert body["description"] == "Bad Request: wrong file identifier/HTTP URL specified"
    status, body = await call("sendVoice", chat_id=42, voice=voice["file_id"], caption="x" * 1025)
    assert body["description"] == "Bad Request: message caption is too long"


async def test_a_users_photo_is_sent_again_by_its_file_id(sandbox: Sandbox, call: Call) -> None:
    olena = sandbox.user(42, "Olena")
    png = bytes.fromhex(
        "89504e470d0a1a0a0000000d49484452000000030000000208060000009d74cb"
        "ee0000001049444154789c63f8ffffff7f060000fbff04fe0a0e8c2a0000000049454e44ae426082"
    )
    await olena.send_photo(png, caption="Broken vase")
    _, body = await call("getUpdates")
    (size,) = body["result"][0]["message"]["photo"]
    status, body = await call("sendPhoto", chat_id=42, photo=size["file_id"], caption="Again")
    assert status == 200
    (again,) = body["result"]["photo"]
    assert again["file_unique_id"] == size["file_unique_id"]
    assert (again["width"], again["height"]) == (3, 2)
    assert olena.last is not None and olena.last.photo == png and olena.last.caption == "Again"


async def test_the_web_chat_shows_a_voice_note() -> None:
    from bot.sandbox.web import Persona

    sandbox = Sandbox()
    olena = Persona(42, "Olena", "frontline · Українська", "uk")
    await sandbox.start(personas=[olena])
    try:
        await sandbox.user(42).send_voice(OGG, duration=5)
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{sandbox.url}/demo/api/chat/42") as response:
                (message,) = (await response.json())["messages"]
            assert message["voice"] == {"url": "/demo/api/media/42/1", "duration": 5}
            assert message["text"] == "" and message["photo"] is None
            async with session.get(sandbox.url + message["voice"]["url"]) as response:
                assert response.content_type == "audio/ogg" and await response.read() == OGG
    finally:
        await sandbox.stop()
