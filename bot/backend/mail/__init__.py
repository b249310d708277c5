"""E-mail to citizens: the outbox table (written in the caller's transaction), the German texts,
the reminder schedule and the worker that sends through SMTP when it is configured."""
