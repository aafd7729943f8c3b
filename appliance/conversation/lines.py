"""The fixed things the receptionist says. All are synthesized at startup (the phrase cache),
so they play instantly and still play when the TTS engine fails mid-call."""

from __future__ import annotations

from dataclasses import dataclass, fields

from appliance.brain.prompt import DONT_KNOW


@dataclass(frozen=True)
class Lines:
    reprompt: str = "Are you still there? How can I help you?"
    silent_goodbye: str = ("I can't hear anything, so I'll end the call now. "
                           "Please call again. Goodbye.")
    goodbye: str = "Thank you for calling. Goodbye."
    didnt_catch: str = "Sorry, I didn't catch that. Could you say it again?"
    hold_on: str = "One moment, please."
    connecting: str = "One moment please, I'm putting you through to a member of staff."
    nobody: str = ("I'm sorry, nobody is available to take your call right now. "
                   "Would you like to leave a message?")
    message_prompt: str = ("Please leave your message after the tone. "
                           "When you're done, just stop talking.")
    message_saved: str = ("Thank you, your message has been recorded and someone will get "
                          "back to you. Goodbye.")
    anything_else: str = "Okay. Is there anything else I can help you with?"
    apology: str = "I'm sorry, I'm having a technical problem and can't answer that right now."
    dont_know: str = DONT_KNOW

    def all(self) -> list[str]:
        return [getattr(self, f.name) for f in fields(self)]


LINES = Lines()
