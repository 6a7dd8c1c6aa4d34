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
        "policy_too_big": _("The file is too big: at most {limit} KB."),
        "policy_not_utf8": _("The file must be plain text in UTF-8."),
        "policy_currency": _(
            "The file is in {currency}, but the organisation works in {expected}."
        ),
        "policy_timezone": _(
            "The file's time zone is {timezone}, but the organisation's is {expected}."
        ),
        "no_such_policy": _("This policy draft no longer exists. Send the file again."),
        "policy_already_active": _("Version {version} is already in force."),
    }
    template = messages.get(error.code, _("Something went wrong. Please try again."))
    return template.format(**error.params)
