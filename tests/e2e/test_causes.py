"""Employee voice through the sandbox, in each language: after resolving, "This keeps
happening because…" is one optional tap on the screen that ends the resolve (or a typed line,
or nothing), the cause is kept on the case, and /stats lists the week's causes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.db.models import Case, CaseEvent
from bot.render.callbacks import CaseStep
from bot.render.exports import ExportTexts
from bot.sandbox import SandboxUser
from bot.services.errors import ServiceError
from bot.services.workbook import export_files
from tests.e2e.harness import Harness
from tests.e2e.test_fast_path import WORDS, Counted, log
from tests.e2e.test_floor_story import hotel, staff

# The hotel's noise cases are offered two causes (policies/hotel.toml), then one's own words.
CAUSES = {
    "uk": ["Шум від заходу", "Технічна несправність", "Інша причина…"],
    "ru": ["Шум от мероприятия", "Техническая неисправность", "Другая причина…"],
    "en": ["Noise from an event", "Maintenance", "Another reason…"],
}
ASKED = {
    "uk": "Це повторюється, бо… (торкніться, якщо знаєте)",
    "ru": "Это повторяется, потому что… (нажмите, если знаете)",
    "en": "This keeps happening because… (a tap, if you know)",
}
TOLD = {
    "uk": "Повторюється, бо: шум від заходу",
    "ru": "Повторяется, потому что: шум от мероприятия",
    "en": "Keeps happening because: noise from an event",
}
IN_WORDS = {
    "uk": (
        "Чому це повторюється? Напишіть одним рядком.",
        "Повторюється, бо, словами працівника: «{}»",
    ),
    "ru": (
        "Почему это повторяется? Напишите одной строкой.",
        "Повторяется, потому что, словами сотрудника: «{}»",
    ),
    "en": (
        "Why does this keep happening? Type it in one line.",
        "Keeps happening because, in their words: “{}”",
    ),
}
EXPORTED = {"uk": "Чому це повторюється", "ru": "Почему это повторяется", "en": "Why it keeps"}
SKIP = {"uk": "Пропустити", "ru": "Пропустить", "en": "Skip"}
TOO_LONG = {
    "uk": "Текст задовгий: щонайбільше 200 символів.",
    "ru": "Текст слишком длинный: не больше 200 символов.",
    "en": "The text is too long: at most 200 characters.",
}


async def resolved(olena: Counted, w: dict[str, str]) -> None:
    """The fast path of a case closed without a remedy: six taps and one message."""
    await log(olena, w)
    await olena.press(w["resolve"])
    await olena.expect(w["without"])
    await olena.press(w["without"])
    await olena.expect(w["yes"])
    await olena.press(w["yes"])


async def the_case(h: Harness) -> Case:
    async with h.db.reading() as session:
        (case,) = (await session.scalars(select(Case))).all()
        return case


@pytest.mark.parametrize("lang", ["uk", "ru", "en"])
async def test_one_more_tap_tells_why_it_keeps_happening(harness: Harness, lang: str) -> None:
    w = WORDS[lang]
    olena = Counted(await staff(harness, await hotel(harness), lang))
    await resolved(olena, w)
    done = await olena.expect(w["note?"])
    # Nothing is added to the path: the causes sit on the screen that ends it.
    assert (olena.taps, olena.messages) == (6, 1)
    assert ASKED[lang] in done.text.split("\n")
    assert [label for label, _ in done.buttons[0]] == [w["ask"], SKIP[lang]]
    assert [[label for label, _ in row] for row in done.buttons[1:]] == [
        CAUSES[lang][:2],
        CAUSES[lang][2:],
    ]

    await olena.press(CAUSES[lang][0])  # the one optional tap
    told = await olena.expect(TOLD[lang])
    assert told.message_id == done.message_id
    assert not any(label in told.button_labels for label in CAUSES[lang])
    assert w["ask"] in told.button_labels  # the survey is still one tap away
    case = await the_case(harness)
    assert (case.state, case.cause, case.cause_words) == ("resolved", "event_noise", None)

    # A note typed afterwards is still taken: the screen keeps its promise.
    await olena.send("Told the event manager")
    await olena.expect(w["card"])
    case = await the_case(harness)
    assert (case.resolution_note, case.cause) == ("Told the event manager", "event_noise")
    async with harness.db.reading() as session:
        kinds = list(await session.scalars(select(CaseEvent.kind).order_by(CaseEvent.id)))
    assert kinds[-2:] == ["cause", "note"]

    # The export's history says it too, in the reader's language.
    member = (await harness.services.context.load_by_id(olena.user.id)).member
    assert member is not None
    today = harness.services.clock.now().date()
    data = await harness.services.exports.data(member.org_id, today, today)
    files = export_files(data, ExportTexts().labels(data.policy, lang), as_csv=True)
    events = next(f for f in files if f.name.startswith("events")).content.decode("utf-8-sig")
    (row,) = [line for line in events.splitlines() if EXPORTED[lang] in line]
    assert CAUSES[lang][0] in row


@pytest.mark.parametrize("lang", ["uk", "ru", "en"])
async def test_another_reason_in_ones_own_words_capped_like_any_typed_line(
    harness: Harness, lang: str
) -> None:
    w = WORDS[lang]
    olena = Counted(await staff(harness, await hotel(harness), lang))
    await resolved(olena, w)
    await olena.expect(w["note?"])
    await olena.press(CAUSES[lang][2])
    question, line = IN_WORDS[lang]
    await olena.expect(question)
    await olena.send("x" * 201)
    await olena.user.expect(TOO_LONG[lang])
    assert (await the_case(harness)).cause_words is None
    await olena.send("The <b>ballroom</b> doors do not close")
    told = await olena.expect(line.format("The <b>ballroom</b> doors do not close"))
    assert w["note?"] in told.text  # back on the screen that ends the resolve
    case = await the_case(harness)
    assert (case.cause, case.cause_words) == (None, "The <b>ballroom</b> doors do not close")


async def test_skipping_is_one_tap_and_records_nothing(harness: Harness) -> None:
    w = WORDS["en"]
    olena = Counted(await staff(harness, await hotel(harness), "en"))
    await resolved(olena, w)
    await olena.expect(w["note?"])
    await olena.press("Skip")
    await olena.expect(w["card"])
    assert (olena.taps, olena.messages) == (7, 1)
    case = await the_case(harness)
    assert (case.cause, case.cause_words) == (None, None)


async def test_stats_list_the_weeks_causes(harness: Harness) -> None:
    sarah = await hotel(harness)
    people: list[Counted] = []
    for number, lang in enumerate(("uk", "ru", "en")):
        people.append(Counted(await staff(harness, sarah, lang, user_id=1010 + number)))
    for person, lang in zip(people, ("uk", "ru", "en"), strict=True):
        await resolved(person, WORDS[lang])
        await person.expect(WORDS[lang]["note?"])
    await people[0].press(CAUSES["uk"][0])
    await people[0].expect(TOLD["uk"])
    await people[1].press(CAUSES["ru"][0])
    await people[1].expect(TOLD["ru"])
    await people[2].press(CAUSES["en"][2])
    await people[2].expect(IN_WORDS["en"][0])
    await people[2].send("Wedding DJ again")
    await people[2].expect(IN_WORDS["en"][1].format("Wedding DJ again"))

    await sarah.send("/stats")
    stats = await sarah.expect("Statistics · Grand Hotel")
    lines = stats.text.split("\n")
    at = lines.index("Why it keeps happening, as staff see it")
    assert lines[at + 1 : at + 3] == ["Noise from an event — 2", "in their own words — 1"]


async def test_a_policy_without_causes_shows_the_resolve_screen_as_before(
    harness: Harness,
) -> None:
    from tests.e2e.test_cases import frontline

    olena: SandboxUser = await frontline(harness)  # the default policy lists no causes
    await olena.send("/new")
    await olena.expect("Чого стосується проблема?")
    await olena.press("Очікування")
    await olena.expect("Опишіть проблему")
    await olena.send("Гість чекав на номер")
    await olena.expect("Хто клієнт?")
    await olena.press("Створити")
    await olena.expect("Звернення K-")
    await olena.press("Вирішити")
    await olena.expect("Чим усе завершилося?")
    await olena.press("Без компенсації")
    await olena.expect("Вирішено під час першого контакту")
    await olena.press("Так")
    done = await olena.expect(where=lambda m: "Запитати клієнта" in m.button_labels)
    assert done.button_labels == ["Запитати клієнта", "Пропустити"]
    assert "повторюється" not in done.text


async def test_a_cause_the_policy_lacks_or_on_an_open_case_is_refused(harness: Harness) -> None:
    w = WORDS["en"]
    olena = Counted(await staff(harness, await hotel(harness), "en"))
    await log(olena, w)
    member = (await harness.services.context.load_by_id(olena.user.id)).member
    assert member is not None
    case = await the_case(harness)
    with pytest.raises(ServiceError) as refused:
        await harness.services.lifecycle.record_cause(member, case.id, cause="housekeeping")
    assert refused.value.code == "case_not_open"  # not resolved yet
    await olena.press(w["resolve"])
    await olena.expect(w["without"])
    await olena.press(w["without"])
    await olena.expect(w["yes"])
    await olena.press(w["yes"])
    done = await olena.expect(w["note?"])
    for forged in ({"cause": "party"}, {}, {"cause": "housekeeping", "words": "both"}):
        with pytest.raises(ServiceError) as refused:
            await harness.services.lifecycle.record_cause(member, case.id, **forged)
        assert refused.value.code == "cause_unknown"
    # A button of a cause since removed from the policy: told why, nothing recorded.
    stale = CaseStep(action="cause", value="party", case_id=case.id).pack()
    await olena.user.press_data(stale, done.message_id)
    await harness.settle()
    assert olena.user.callback_answers[-1].text == (
        "The policy no longer has this reason. Pick another, or skip."
    )
    assert (await the_case(harness)).cause is None
