"""Development email: one line per message on the console instead of its MIME source."""

from __future__ import annotations

from django.core.mail import EmailMessage
from django.core.mail.backends.console import EmailBackend


class OneLineEmailBackend(EmailBackend):
    """Prints who a message is for and its subject, so start-up output stays readable."""

    def write_message(self, message: EmailMessage) -> None:
        self.stream.write(f"Email to {', '.join(message.recipients())}: {message.subject}\n")
