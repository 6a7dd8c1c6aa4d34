"""A refusal from a service, said in the reader's language with what to do next."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _

from bot.render.onboarding import invite_problem
from bot.services.errors import ServiceError


def refusal(error: ServiceError) -> str:
    if error.code.startswith("invite_"):
        return invite_problem(error.code)
    messages = {
        "not_allowed": _("This is not available for your role."),
        "no_such_member": _("This person is not in your organisation any more. Open /team again."),
        "no_such_team": _("This team no longer exists. Open the screen again."),
        "last_admin": _(
            "The organisation needs at least one admin. Make someone else an admin first."
        ),
        "cannot_deactivate_self": _("You cannot deactivate yourself. Ask another admin to do it."),
        "already_member": _("You are already a member of this organisation."),
        "bad_language": _("Pick one of the languages on the buttons."),
        "bad_uses": _("Pick the number of people on the buttons."),
        "bad_ttl": _("Pick how long the link works on the buttons."),
        "amount_empty": _("Type the amount, for example {example}."),
        "amount_format": _("I could not read that amount. Type it like this: {example}."),
        "amount_negative": _("The amount cannot be negative."),
        "amount_zero": _("The amount must be more than zero."),
        "amount_absurd": _("That amount is far too large. Check it and type it again."),
        "amount_decimals": _("{currency} has at most {digits} digits after the comma."),
        "amount_currency": _("Amounts are in {currency} only."),
        "case_not_open": _("This case has changed meanwhile. Open it again."),
        "cause_unknown": _("The policy no longer has this reason. Pick another, or skip."),
        "no_such_case": _("This case is not available to you."),
        "not_your_case": _("This is another person's case."),
        "no_case_code": _("No case {case}. Check the code."),
        "not_yours_to_see": _(
            "Case {case} is another person's: only they and supervisors can open it."
        ),
        "sensitive_case": _(
            "🔒 Sensitive case · {case}\nOnly its reporter, the roles the policy names and "
            "admins can read it."
        ),
        "case_code_format": _("A case code looks like K-7Q4F. Check it and type it again."),
        "description_empty": _("Describe the problem in a few words, please."),
        "description_too_long": _("The description is too long: at most {limit} characters."),
        "customer_key_phone": _(
            "Please do not use a phone number as the customer key; use a room, order or "
            "customer number."
        ),
        "customer_key_too_long": _("The customer key is too long: at most {limit} characters."),
        "no_such_category": _("This category is no longer in the policy. Start again."),
        "no_such_remedy": _("This remedy is no longer in the policy. Pick another."),
        "try_again": _("Something went wrong. Please try again."),
        "request_pending": _(
            "A request for this case is already waiting. Give what is within your authority, "
            "or withdraw the request first."
        ),
        "nothing_waiting": _("Nothing waits for approval on this case any more."),
        "case_not_resolved": _("Only a resolved case can be reopened."),
        "reopen_window_over": _(
            "The case can no longer be reopened: the {days}-day window is over. "
            "Log a new case instead."
        ),
        "reason_needed": _("Type the reason in a few words, please."),
        "note_too_long": _("The text is too long: at most {limit} characters."),
        "text_too_long": _("The text is too long: at most {limit} characters."),
        "words_too_long": _(
            "The customer's words are too long: at most {limit} characters. Shorten them and "
            "send again."
        ),
        "unreadable_text": _(
            "Some characters of this message cannot be read (perhaps a broken emoji). "
            "Type it again, please."
        ),
        "void_too_late": _(
            "You can void your case only within {minutes} minutes; ask a supervisor."
        ),
        "case_not_resolved_for_survey": _("Ask the customer once the case is resolved."),
        "survey_already_answered": _(
            "The customer has already answered for this case. You may ask again after it is "
            "reopened and resolved."
        ),
        "bad_outcome": _("Pick how the case ended on the buttons."),
        "no_such_follow_up": _("This follow-up is not there any more."),
        "follow_up_not_yours": _("This follow-up is for the supervisors of another team."),
        "follow_up_closed": _("This follow-up is already closed."),
        "policy_too_big": _("The file is too big: at most {limit} KB."),
        "policy_not_utf8": _("The file must be plain text in UTF-8."),
        "policy_currency": _(
            "The file is in {currency}, but the organisation works in {expected}."
        ),
        "policy_timezone": _(
            "The file's time zone is {timezone}, but the organisation's is {expected}."
        ),
        "no_such_policy": _("This policy draft no longer exists. Send the file again."),
        "export_backwards": _(
            "The first day comes after the last one. Type the earlier day first."
        ),
        "export_future": _("The period ends after today ({today}). Pick days up to today."),
        "export_too_long": _(
            "That is more than {limit} days. Pick a shorter period, for example a year."
        ),
        "policy_already_active": _("Version {version} is already in force."),
        "already_decided": _("Already decided by {name} ({at})."),
        "escalation_withdrawn": _("This request has been withdrawn; there is nothing to decide."),
        "case_cancelled": _("This case was voided; there is nothing to decide."),
        "own_request": _("You cannot decide your own request; it waits for another approver."),
        "not_your_escalation": _(
            "This request went to other approvers. Your requests are in /queue."
        ),
        "part_above_request": _("That is more than was asked. Type an amount up to {asked}."),
        "beyond_authority": _(
            "This is beyond your own authority. Take the case over, or leave the request "
            "for someone above you."
        ),
        "not_approved": _("This request was not approved; open the case to see the decision."),
        "undo_too_late": _(
            "Too late to undo: the case has changed since your decision (see its history)."
        ),
        "undo_not_yours": _("Only {name}, who decided, can undo this decision."),
        "approval_no_longer_fits": _(
            "The approval by {name} no longer fits the limits: spends were recorded meanwhile. "
            "Ask for approval again."
        ),
    }
    template = messages.get(error.code, _("Something went wrong. Please try again."))
    return template.format(**error.params)
