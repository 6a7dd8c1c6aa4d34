"""The cost of `check_response` per Bot API call: aiogram's stock session against
bot.telegram_session.CachedResponseSession, on typical sendMessage, editMessageText and
answerCallbackQuery answers (plus a 400 and a 429, which the cached session hands to stock).

    python benchmarks/responses.py              # 20000 calls a case, best of 5
    python benchmarks/responses.py --calls 5000 --repeat 3

Printed per case, in µs per call:
  stock warm   aiogram's check_response while Response[T] is still alive (pydantic's weak
               cache hits: what it costs between two full garbage collections);
  stock cold   the same call when a full collection has just dropped Response[T], as happens
               in the bot (nothing holds it once a call returns): the model is built again;
  cached       CachedResponseSession, same answers (a full collection first changes nothing);
and how many times the stock session built the model anew while the loop ran with
`gc.collect()` every --gc-every calls (a stand-in for the bot's full collections).

No network: check_response only parses the text of an answer.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageText,
    Response,
    SendMessage,
    TelegramMethod,
)

from bot.telegram_session import CachedResponseSession

CHAT = {"id": 100200300, "type": "private", "first_name": "Olena", "username": "olena_front"}
BOT_USER = {"id": 42, "is_bot": True, "first_name": "Casebot", "username": "casebot"}
KEYBOARD = {
    "inline_keyboard": [
        [
            {"text": "Give remedy", "callback_data": "case:give:1042"},
            {"text": "Escalate", "callback_data": "case:esc:1042"},
        ],
        [{"text": "Close the case", "callback_data": "case:close:1042"}],
    ]
}
TEXT = "<b>Case 1042</b> · Room 314\nLate check-out refused, guest upset.\nOpened 12 min ago"
MESSAGE = {
    "message_id": 5812,
    "from": BOT_USER,
    "chat": CHAT,
    "date": 1767225600,
    "text": TEXT.replace("<b>", "").replace("</b>", ""),
    "entities": [{"offset": 0, "length": 9, "type": "bold"}],
    "reply_markup": KEYBOARD,
}
EDITED = {**MESSAGE, "edit_date": 1767225660}

CASES: list[tuple[str, TelegramMethod[Any], int, str]] = [
    (
        "sendMessage",
        SendMessage(chat_id=CHAT["id"], text=TEXT),
        200,
        json.dumps({"ok": True, "result": MESSAGE}),
    ),
    (
        "editMessageText",
        EditMessageText(chat_id=CHAT["id"], message_id=5812, text=TEXT),
        200,
        json.dumps({"ok": True, "result": EDITED}),
    ),
    (
        "answerCallbackQuery",
        AnswerCallbackQuery(callback_query_id="4382bfdwdsb323b2d9"),
        200,
        json.dumps({"ok": True, "result": True}),
    ),
    (
        "sendMessage 400",
        SendMessage(chat_id=CHAT["id"], text=TEXT),
        400,
        json.dumps({"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}),
    ),
    (
        "sendMessage 429",
        SendMessage(chat_id=CHAT["id"], text=TEXT),
        429,
        json.dumps(
            {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 3",
                "parameters": {"retry_after": 3},
            }
        ),
    ),
]


def call(session: AiohttpSession, bot: Bot, method: TelegramMethod[Any], status: int, text: str):
    try:
        return session.check_response(bot, method, status, text)
    except Exception as error:  # the 400 and the 429: the exception is the answer
        return error


def per_call(fn: Callable[[], object], calls: int) -> float:
    """µs per call over `calls` calls."""
    start = time.perf_counter_ns()
    for _ in range(calls):
        fn()
    return (time.perf_counter_ns() - start) / calls / 1000


def cold(fn: Callable[[], object], calls: int) -> float:
    """Median µs of a call made right after a full collection (the collection not timed)."""
    times = []
    for _ in range(calls):
        gc.collect()
        start = time.perf_counter_ns()
        fn()
        times.append((time.perf_counter_ns() - start) / 1000)
    return sorted(times)[len(times) // 2]


def rebuilds(session: AiohttpSession, bot: Bot, case: tuple[Any, ...], calls: int, every: int):
    """How many times the session's answers came in a new Response class, collecting every
    `every` calls. A weak reference to the last class tells a new class from the same one (an
    id could be reused by the next class built at the same address)."""
    _, method, status, text = case
    models = 0
    last: weakref.ref[type] | None = None
    for i in range(calls):
        result = call(session, bot, method, status, text)
        if isinstance(result, Response) and (last is None or last() is not type(result)):
            models += 1
            last = weakref.ref(type(result))
        del result  # hold nothing between calls, as the bot does not
        if i % every == every - 1:
            gc.collect()
    return models


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cold-calls", type=int, default=10)
    parser.add_argument("--gc-every", type=int, default=100)
    parser.add_argument("--collections", type=int, default=10)
    args = parser.parse_args(argv)

    bot = Bot("42:BENCHMARK")
    stock = AiohttpSession()
    rounds = args.gc_every * args.collections
    print(f"python {sys.version.split()[0]}, gc thresholds {gc.get_threshold()}; µs per call")
    print(
        f"{'case':<20}{'stock warm':>11}{'cached':>8}{'saved':>7}"
        f"{'stock cold':>12}{'cached cold':>12}{'rebuild':>9}{'models s/c':>12}"
    )
    for case in CASES:
        name, method, status, text = case
        # A new cached session per case, dropped after it: one kept from an earlier case would
        # hold that case's Response[T] and so warm the stock numbers of the next.
        cached = CachedResponseSession()

        def run_stock(
            session: AiohttpSession = stock, m: Any = method, st: int = status, t: str = text
        ) -> object:
            return call(session, bot, m, st, t)

        def run_cached(
            session: AiohttpSession = cached, m: Any = method, st: int = status, t: str = text
        ) -> object:
            return call(session, bot, m, st, t)

        # Warm, both alive (the cached session holds Response[T]), the two interleaved, best of
        # --repeat each: the difference is only what a call costs between two collections.
        warm = fast = float("inf")
        for _ in range(args.repeat):
            warm = min(warm, per_call(run_stock, args.calls))
            fast = min(fast, per_call(run_cached, args.calls))
        fast_cold = cold(run_cached, args.cold_calls)
        cached_models = rebuilds(cached, bot, case, rounds, args.gc_every)
        del cached, run_cached
        # Cold stock: nothing holds Response[T] now, so each full collection drops it. A call
        # right after any full collection is slower anyway (caches evicted by the collection):
        # the rebuild is stock cold minus cached cold.
        stock_cold = cold(run_stock, args.cold_calls)
        stock_models = rebuilds(stock, bot, case, rounds, args.gc_every)
        models = f"{stock_models}/{cached_models}" if status == 200 else "-"
        print(
            f"{name:<20}{warm:>11.1f}{fast:>8.1f}{warm - fast:>7.1f}"
            f"{stock_cold:>12.0f}{fast_cold:>12.0f}{stock_cold - fast_cold:>9.0f}{models:>12}"
        )
    print(
        f"models s/c: Response classes built for the answers of {rounds} calls, a full collection "
        f"every {args.gc_every}, stock/cached (an error answer is an exception: nothing counted)"
    )


if __name__ == "__main__":
    main()
