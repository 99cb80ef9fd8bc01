"""Delivery of a submission: its PDF and e-mail rows, the e-mails, and their Celery tasks."""
