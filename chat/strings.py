"""The chat widget's words, sent to it in the requester's language (it runs on pages we
do not render, so it cannot read our templates)."""

from __future__ import annotations

from django.utils.translation import gettext as _


def widget_strings() -> dict[str, str]:
    return {
        "open": _("Chat with us"),
        "title": _("Chat with support"),
        "close": _("Close the chat window"),
        "name": _("Your name"),
        "email": _("Your email address"),
        "message": _("How can we help?"),
        "start": _("Start the chat"),
        "send": _("Send"),
        "write": _("Write a message"),
        "transcript_label": _("Conversation"),
        "place": _("You are number %(place)s in line. Expected wait: about %(minutes)s min."),
        "connecting": _("Finding someone to help you…"),
        "joined": _("%(agent)s joined the chat."),
        "typing_agent": _("%(agent)s is typing…"),
        "agent": _("Agent"),
        "you": _("You"),
        "ended": _("The chat has ended. Thank you for contacting us."),
        "end": _("End the chat"),
        "transcript": _("Email me the transcript"),
        "transcript_sent": _("The transcript is on its way to your email."),
        "idle": _("Are you still there? The chat will close soon if we do not hear from you."),
        "fallback_closed": _("Chat is closed right now."),
        "fallback_nobody": _("Nobody who speaks your language is available to chat right now."),
        "fallback_line": _("Many people are waiting to chat right now."),
        "fallback_wait": _("The wait to chat is long right now."),
        "leave": _("Leave a message"),
        "leave_hint": _("We will answer by email, with this conversation."),
        "left": _("Thank you. We will answer by email. Your reference is %(reference)s."),
        "keep_waiting": _("Keep waiting"),
        "sending": _("Sending…"),
        "not_sent": _("Not sent yet: we will try again."),
        "offline": _("Connection lost. Reconnecting…"),
        "error": _("Something went wrong. Please try again."),
        "attach": _("Attach a file"),
        "file": _("%(name)s (%(size)s KB)"),
    }
