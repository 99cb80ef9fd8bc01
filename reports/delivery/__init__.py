"""Background work and delivery: the job discipline every worker task follows (``jobs``), the
delivery rows — a submission's PDF and every e-mail — (``rows``), running them (``runner``), the
e-mails (``messages``, ``emails``), the submission PDF (``submission_pdf``) and the tasks."""
