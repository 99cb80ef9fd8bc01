"""The loopback SMTP server used by the integration tests answers like a real one."""

import smtplib

import pytest
from django.core.mail import send_mail


def test_django_mail_reaches_the_loopback_server(mailbox):
    send_mail("Subject ünicode", "Body text", "from@example.org", ["to@example.org"])
    [received] = mailbox.messages
    assert received.subject == "Subject ünicode"
    assert received.envelope_to == ["to@example.org"]
    assert "Body text" in received.text


def test_it_can_answer_temporary_and_permanent_errors(mailbox):
    mailbox.fail_next("451 4.3.0 Try again later", "550 5.1.1 Mailbox unavailable")
    with pytest.raises(smtplib.SMTPDataError) as temporary:
        send_mail("x", "y", "from@example.org", ["to@example.org"])
    assert temporary.value.smtp_code == 451
    with pytest.raises(smtplib.SMTPDataError) as permanent:
        send_mail("x", "y", "from@example.org", ["to@example.org"])
    assert permanent.value.smtp_code == 550
    send_mail("x", "y", "from@example.org", ["to@example.org"])
    assert len(mailbox.messages) == 1
    assert mailbox.attempts == 3
