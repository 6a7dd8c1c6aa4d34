"""The weekly digest and /stats: the figures in the reader's language, with last week's change,
and a chart readable on a phone."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from html import escape

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from babel.dates import format_date

from bot.i18n import (
    DOTTED_DAYS,
    babel_locale,
    format_money,
    format_number,
    format_points,
    format_share,
    format_span,
)
from bot.render.callbacks import StatsStep
from bot.render.common import TEXT_LIMIT, shortened
from bot.services.digests import Comparison, Content, Rendered
from bot.services.metrics import Day, Figures, Recognition
from policies.explain import interval_words
from policies.model import Policy

TOP_CAUSES = 3  # lines of the digest's causes: the manager's quick wins, not a report


@dataclass(frozen=True)
class DigestInput:
    org_name: str
    team_name: str | None
    currency: str
    timezone: str
    figures: Figures
    previous: Figures
    recognition: Recognition | None
    past_sla: int
    weekly: bool = True  # the Monday digest (else /stats)
    comparison: Comparison | None = None  # None: a finished week against the one before


def digest_input(content: Content, weekly: bool = True) -> DigestInput:
    return DigestInput(
        org_name=content.org_name,
        team_name=content.team_name,
        currency=content.currency,
        timezone=content.timezone,
        figures=content.figures,
        previous=content.previous,
        recognition=content.recognition,
        past_sla=content.past_sla,
        weekly=weekly,
        comparison=content.comparison,
    )


def period_label(figures: Figures, timezone: str, locale: str) -> str:
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(timezone)
    first = figures.start.astimezone(zone).date()
    last = (figures.end - timedelta(seconds=1)).astimezone(zone).date()
    where = babel_locale(locale)
    if first == last:
        return format_date(first, "d MMMM y", locale=where)
    since = format_date(first, "d MMM", locale=where)
    return f"{since} – {format_date(last, 'd MMM y', locale=where)}"


def _count_change(now: int, before: int) -> str:
    if now == before:
        return "="
    return f"↑{now - before}" if now > before else f"↓{before - now}"


def comparison_text(comparison: Comparison | None, locale: str) -> str:
    """What every change on the screen is measured against: "vs last week", or while a
    period runs "Mon–Wed vs Mon–Wed last week", "1–18 Nov vs 1–18 Oct"."""
    if comparison is None:
        return _("vs last week")
    c = comparison
    if not c.running:
        if c.kind == "week":
            return _("vs last week")
        if c.kind == "month":
            return _("vs the previous month")
        return _("vs {before}").format(
            before=period_text(c.before_first, c.before_last + timedelta(days=1), locale)
        )
    if c.kind == "week":
        return _("{now} vs {before} last week").format(
            now=_weekdays(c.first, c.last, locale),
            before=_weekdays(c.before_first, c.before_last, locale),
        )
    return _("{now} vs {before}").format(
        now=_days(c.first, c.last, locale), before=_days(c.before_first, c.before_last, locale)
    )


def _weekdays(first: date, last: date, locale: str) -> str:
    where = babel_locale(locale)
    names = [format_date(day, "EEE", locale=where) for day in (first, last)]
    return names[0] if first == last else f"{names[0]}–{names[1]}"


def _days(first: date, last: date, locale: str) -> str:
    """ "1–18 Nov", "18 Nov", "28 Oct – 3 Nov"."""
    where = babel_locale(locale)
    if first == last:
        return format_date(last, "d MMM", locale=where)
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{format_date(last, 'd MMM', locale=where)}"
    return (
        f"{format_date(first, 'd MMM', locale=where)} – {format_date(last, 'd MMM', locale=where)}"
    )


def _share_change(now: float | None, before: float | None, locale: str) -> str:
    if now is None or before is None:
        return ""
    points = format_points(abs(now - before) * 100, locale)
    if points == format_points(0, locale):
        return " (=)"
    arrow = "↑" if now > before else "↓"
    return " (" + _("{arrow}{points} pp").format(arrow=arrow, points=points) + ")"


def _signed(points: int, locale: str) -> str:
    """An NPS as managers read it: "+23", "0", "−15" (the minus sign, not a hyphen)."""
    number = format_number(Decimal(abs(points)), locale)
    return f"+{number}" if points > 0 else f"−{number}" if points < 0 else number


def _nps_change(now: int, before: int | None) -> str:
    """In points, like the score itself; nothing when last week had no answers."""
    if before is None:
        return ""
    return f" ({_count_change(now, before)})"


def _was(now: float | Decimal | None, before: str | None, comparison: Comparison | None) -> str:
    if now is None or before is None:
        return ""
    kind = comparison.kind if comparison else "week"
    if kind == "month":
        return " (" + _("previous month {value}").format(value=before) + ")"
    if kind == "days":
        return " (" + _("before {value}").format(value=before) + ")"
    return " (" + _("last week {value}").format(value=before) + ")"


def digest_text(data: DigestInput, policy: Policy, locale: str) -> str:
    f, p = data.figures, data.previous
    money = data.currency

    def cash(value: Decimal) -> str:
        return escape(format_money(value, money, locale))

    def share(value: float | None) -> str:
        return format_share(value, locale) if value is not None else "—"

    def span(value: float | None) -> str:
        return escape(format_span(value, locale)) if value is not None else "—"

    where = escape(data.org_name) + (f" · {escape(data.team_name)}" if data.team_name else "")
    title = _("<b>Weekly digest · {where}</b>") if data.weekly else _("<b>Statistics · {where}</b>")
    lines = [title.format(where=where), period_label(f, data.timezone, locale)]
    if not f.empty:
        lines[-1] += " · " + comparison_text(data.comparison, locale)
    if f.empty:
        lines.append(_("No cases yet in this period."))
        return "\n".join(lines)
    lines.append(
        _(
            "Cases: logged {logged} ({logged_change}), resolved {resolved} "
            "({resolved_change}), backlog {backlog}"
        ).format(
            logged=f"<b>{f.logged}</b>",
            logged_change=_count_change(f.logged, p.logged),
            resolved=f"<b>{f.resolved}</b>",
            resolved_change=_count_change(f.resolved, p.resolved),
            backlog=f.backlog,
        )
    )
    if f.resolved:
        fcr = _("FCR: {share}{change}").format(
            share=f"<b>{share(f.fcr)}</b>", change=_share_change(f.fcr, p.fcr, locale)
        )
        if f.fcr_provisional:
            fcr += "; " + _("provisional, still inside the reopen window: {count}").format(
                count=f.fcr_provisional
            )
        lines.append(fcr)
        lines.append(
            _(
                "Resolution: median {median}{change}, p90 {p90}, mean {mean}; on the spot {spot}"
            ).format(
                median=f"<b>{span(f.resolution.median)}</b>",
                change=_was(
                    f.resolution.median,
                    span(p.resolution.median) if p.resolution.median is not None else None,
                    data.comparison,
                ),
                p90=span(f.resolution.p90),
                mean=span(f.resolution.mean),
                spot=share(f.on_the_spot_share)
                + _share_change(f.on_the_spot_share, p.on_the_spot_share, locale),
            )
        )
        lines.append(
            _("Reopened: {share}{change}").format(
                share=share(f.reopen_rate),
                change=_share_change(f.reopen_rate, p.reopen_rate, locale),
            )
        )
    if f.logged or f.decisions:
        lines.append(
            _(
                "Escalation rate {rate}{rate_change}; approved: {approved}{approved_change} "
                "(decisions: {decisions}); decision median {median}; SLA breaches: {breaches} "
                "({breaches_change})"
            ).format(
                rate=share(f.escalation_rate),
                rate_change=_share_change(f.escalation_rate, p.escalation_rate, locale),
                approved=share(f.approval_rate),
                approved_change=_share_change(f.approval_rate, p.approval_rate, locale),
                decisions=f.decisions,
                median=span(f.decision_time.median),
                breaches=f.sla_breaches,
                breaches_change=_count_change(f.sla_breaches, p.sla_breaches),
            )
        )
    if f.answers or f.surveys_sent:
        csat = _("CSAT: {share}{change}; answers: {answers}, response rate {response}").format(
            share=f"<b>{share(f.csat)}</b>",
            answers=f.answers,
            change=_share_change(f.csat, p.csat, locale),
            response=share(f.response_rate),
        )
        if f.ces_mean is not None:
            csat += "; " + _("CES {value}").format(
                value=format_number(Decimal(str(round(f.ces_mean, 1))), locale)
            )
        lines.append(csat)
    if f.nps is not None:
        lines.append(
            _("NPS: {score}{change}; answers: {answers}").format(
                score=f"<b>{_signed(f.nps, locale)}</b>",
                change=_nps_change(f.nps, p.nps),
                answers=f.nps_answers,
            )
        )
    lines += _loop_lines(f, p, policy, locale, share, span)
    spend = _("Spend: {total}{change}").format(
        total=f"<b>{cash(f.spend)}</b>",
        change=_was(f.spend, cash(p.spend), data.comparison),
    )
    if f.spend_per_resolved is not None:
        spend += ", " + _("{amount} per resolved case").format(amount=cash(f.spend_per_resolved))
    lines.append(spend)
    if f.spend_by_remedy:
        lines.append(
            " · ".join(
                f"{escape(policy.remedy_label(k, locale))} {cash(v)}"
                for k, v in f.spend_by_remedy.items()
            )
        )
    words = interval_words(locale)
    for budget, used in f.budgets:
        lines.append(
            _("Budget ({per}): {used} of {amount}").format(
                per=words.get(budget.interval, budget.interval),
                used=cash(used),
                amount=cash(budget.amount),
            )
        )
    if f.categories:
        top = [f"{escape(policy.category_label(k, locale))} {n}" for k, n in f.categories[:3]]
        lines.append(_("Top problems: {list}").format(list=" · ".join(top)))
    if f.causes:
        lines += ["", _("<b>Why it keeps happening</b>, as staff see it")]
        for key, count in f.causes[:TOP_CAUSES]:
            name = policy.cause_label(key, locale) if key else _("in their own words")
            lines.append(f"{escape(name)} — {count}")
    if data.past_sla:
        lines.append(
            _("Requests waiting past the SLA now: {count}").format(count=f"<b>{data.past_sla}</b>")
        )
    praise = data.recognition
    if praise and (praise.self_resolvers or praise.best_rated or praise.recoverers):
        lines += ["", _("<b>Recognition</b>")]
        if praise.self_resolvers:
            lines.append(
                _("Solved on their own: {list}").format(
                    list=" · ".join(f"{escape(n)} {c}" for n, c in praise.self_resolvers)
                )
            )
        if praise.best_rated:
            lines.append(
                _("Best rated: {list}").format(
                    list=" · ".join(
                        f"{escape(n)} {format_number(Decimal(str(round(a, 1))), locale)}"
                        for n, a, _c in praise.best_rated
                    )
                )
            )
    if praise and praise.recoverers:
        lines.append(
            _("Most customers won back: {list}").format(
                list=" · ".join(f"{escape(n)} {c}" for n, c in praise.recoverers)
            )
        )
    if praise and praise.stories:
        lines += ["", _("<b>Stories for the morning meeting</b>")]
        for code, name, text in praise.stories:
            short = shortened(text, 300)
            lines.append(
                _("{code}, {name}: “{words}”").format(
                    code=code, name=escape(name), words=escape(short)
                )
            )
    text = "\n".join(lines)
    return shortened(text, TEXT_LIMIT)


def _loop_lines(
    f: Figures,
    p: Figures,
    policy: Policy,
    locale: str,
    share: Callable[[float | None], str],
    span: Callable[[float | None], str],
) -> list[str]:
    """Closing the loop: the follow-ups of low scores, and where CSAT fell most."""
    lines = []
    if f.follow_ups:
        line = _(
            "Low scores followed up: {count}; within the SLA {in_sla} ({share}); "
            "median time {median}"
        ).format(
            count=f"<b>{f.follow_ups}</b>",
            in_sla=f.followed_in_sla,
            share=share(f.follow_up_sla_rate),
            median=span(f.follow_up_time.median),
        )
        if f.resurveyed:
            line += "; " + _("recovered (re-survey 4–5): {recovered} of {asked}").format(
                recovered=f"<b>{f.recovered}</b>", asked=f.resurveyed
            )
        lines.append(line)
    falls = f.csat_falls(p)
    if falls:
        lines.append(
            _("CSAT fell most: {list}").format(
                list=" · ".join(
                    _("{category} {now} (was {before}; answers: {count})").format(
                        category=escape(policy.category_label(key, locale)),
                        now=share(now),
                        before=share(before),
                        count=count,
                    )
                    for key, now, before, count in falls
                )
            )
        )
    return lines


def chart_caption(data: DigestInput, locale: str) -> str:
    return _("<b>Cases per day</b> · {period}").format(
        period=period_label(data.figures, data.timezone, locale)
    )


def chart_png(days: list[Day], locale: str) -> bytes:
    """Daily cases split self-resolved / escalated / still open, and the median resolution
    time (right axis): 1200×750 px, large type, for a phone."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    where = babel_locale(locale)
    pattern = "EEE d" if len(days) <= 10 else "d"  # a month's days: numbers only
    labels = [format_date(d.day, pattern, locale=where) for d in days]
    resolved = [d.self_resolved for d in days]
    escalated = [d.escalated for d in days]
    still = [d.still_open for d in days]
    x = list(range(len(days)))
    figure, axes = plt.subplots(figsize=(8, 5), dpi=150)
    try:
        axes.bar(x, resolved, color="#2e7d32", label=_("Solved without escalation"))
        axes.bar(x, escalated, bottom=resolved, color="#ef6c00", label=_("Escalated"))
        base = [a + b for a, b in zip(resolved, escalated, strict=True)]
        axes.bar(x, still, bottom=base, color="#9e9e9e", label=_("Still open"))
        axes.set_xticks(x, labels, fontsize=11)
        axes.set_ylabel(_("cases"), fontsize=12)
        from matplotlib.ticker import MaxNLocator

        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_title(_("Cases per day"), fontsize=15)
        minutes = [
            d.median_resolution / 60 if d.median_resolution is not None else None for d in days
        ]
        if any(m is not None for m in minutes):
            right = axes.twinx()
            points = [(i, m) for i, m in zip(x, minutes, strict=True) if m is not None]
            right.plot(
                [i for i, _m in points],
                [m for _i, m in points],
                color="#1565c0",
                marker="o",
                linewidth=2,
                label=_("Median resolution, min"),
            )
            right.set_ylabel(_("Median resolution, min"), fontsize=12)
            right.set_ylim(bottom=0)
            handles, names = axes.get_legend_handles_labels()
            more, more_names = right.get_legend_handles_labels()
            handles, names = handles + more, names + more_names
        else:
            handles, names = axes.get_legend_handles_labels()
        axes.set_ylim(top=max([*(a + b for a, b in zip(base, still, strict=True)), 1]) * 1.15)
        figure.legend(handles, names, loc="lower center", ncol=2, fontsize=10, frameon=False)
        figure.subplots_adjust(bottom=0.24)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(figure)


class BotDigestRenderer:
    """Renders a digest in any language outside a handler (the scheduler, the CLI)."""

    def __init__(self) -> None:
        from bot.render.catalog import make_i18n

        self.i18n = make_i18n()

    def render(self, content: Content, locale: str, weekly: bool = True) -> Rendered:
        data = digest_input(content, weekly)
        with self.i18n.context(), self.i18n.use_locale(locale):
            markup = InlineKeyboardMarkup(inline_keyboard=[[figures_explained_button()]])
            return Rendered(
                text=digest_text(data, content.policy, locale),
                caption=chart_caption(data, locale),
                png=chart_png(content.days, locale),
                markup=markup.model_dump(exclude_none=True),
            )


def stats_keyboard(
    period: str, team_id: int, teams: list[tuple[int, str]], manager: bool
) -> InlineKeyboardMarkup:
    """Period buttons (the chosen one ticked) and, for managers, the organisation or a team."""

    def button(label: str, to_period: str, to_team: int) -> InlineKeyboardButton:
        chosen = to_period == period and to_team == team_id
        data = StatsStep(action="stats", period=to_period, team_id=to_team).pack()
        return InlineKeyboardButton(text=("✓ " if chosen else "") + label, callback_data=data)

    rows = [
        [
            button(_("This week"), "tw", team_id),
            button(_("Last week"), "lw", team_id),
            button(_("This month"), "tm", team_id),
        ]
    ]
    if manager and teams:
        scopes = [button(_("Everyone"), period, 0)] + [
            button(name[:20], period, tid) for tid, name in teams
        ]
        rows += [scopes[i : i + 3] for i in range(0, len(scopes), 3)]
    last = [figures_explained_button()]
    if period:
        chart = StatsStep(action="chart", period=period, team_id=team_id).pack()
        last.insert(0, InlineKeyboardButton(text=_("Chart"), callback_data=chart))
    rows.append(last)
    return InlineKeyboardMarkup(inline_keyboard=rows)


def figures_explained_button() -> InlineKeyboardButton:
    data = StatsStep(action="terms", period="").pack()
    return InlineKeyboardButton(text=_("Figures explained"), callback_data=data)


def figures_explained() -> str:
    """The jargon of /stats and the digest, one line each, for a manager's first week."""
    return "\n".join(
        (
            _("<b>What the figures mean</b>"),
            _(
                "<b>FCR</b>, first-contact resolution: resolved cases solved at the first "
                "contact, never escalated and not reopened, out of all resolved cases."
            ),
            _(
                "<b>CSAT</b>, customer satisfaction: survey answers of 4 or 5 out of all "
                "answers (1 to 5)."
            ),
            _("<b>CES</b>, customer effort: the mean answer from 1 (very hard) to 7 (very easy)."),
            _(
                "<b>NPS</b>, net promoter score: the share of answers of 9 or 10 to “How likely "
                "are you to recommend us?” minus the share of 0 to 6, from −100 to +100."
            ),
            _(
                "<b>Median</b> and <b>p90</b>: half of the cases, and nine in ten, were resolved "
                "at least this fast."
            ),
            _(
                "<b>Follow-ups</b>: answers of the policy's threshold or lower (or “Contact me”) "
                "that a supervisor followed up; <b>within the SLA</b> when closed in the policy's "
                "time; <b>recovered</b> when the re-survey “Is it better now?” came back 4 or 5."
            ),
            _(
                "<b>pp</b>, percentage points: the change between two percentages "
                "(60 % → 65 % is +5 pp)."
            ),
        )
    )


def export_screen(as_csv: bool = False, locale: str = "en") -> tuple[str, InlineKeyboardMarkup]:
    """Which period: four presets, or days typed after /export; as a workbook or CSV files."""
    what = (
        _("Cases, events, spends and surveys as CSV files, one per sheet. Which period?")
        if as_csv
        else _("Cases, events, spends and surveys as an Excel workbook. Which period?")
    )
    example = "01.11.2026 15.11.2026" if locale in DOTTED_DAYS else "2026-11-01 2026-11-15"
    typed = _("Or type the days: /export {example}").format(example=example)
    action = "csv" if as_csv else "export"

    def button(key: str, label: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            text=label, callback_data=StatsStep(action=action, period=key).pack()
        )

    other = ("xlsx", _("Excel workbook")) if as_csv else ("csv", _("CSV files"))
    rows = [
        [button("tw", _("This week")), button("lw", _("Last week"))],
        [button("tm", _("This month")), button("lm", _("Last month"))],
        [
            InlineKeyboardButton(
                text=other[1], callback_data=StatsStep(action="xfmt", period=other[0]).pack()
            )
        ],
    ]
    return "\n".join((_("<b>Export</b>"), what, typed)), InlineKeyboardMarkup(inline_keyboard=rows)


def export_sent(period_text: str) -> str:
    return "\n".join((_("<b>Export</b>"), _("Sent below: {period}.").format(period=period_text)))


def range_help(locale: str | None = None) -> str:
    """The forms /stats takes: uk and ru write days as 01.11.2026 and may type ISO too."""
    iso, dotted = "2026-11-01 2026-11-15", locale in DOTTED_DAYS
    text = _(
        "Type the period as two days, first and last: /stats {example} "
        "(a year at most), or use the buttons of /stats."
    ).format(example="01.11.2026 15.11.2026" if dotted else iso)
    if dotted:
        text += " " + _("Dates like {example} work too.").format(example=iso)
    return text


def period_text(first: date, end: date, locale: str) -> str:
    where = babel_locale(locale)
    last = end - timedelta(days=1)
    since = format_date(first, "d MMM", locale=where)
    return f"{since} – {format_date(last, 'd MMM y', locale=where)}"
