"""Staff domain services: accounts and sessions, the NLU inbox and reviews, export, retraining,
evaluation, promotion and the model registry, jobs, the dashboard, ratings, redaction, retention
and the audit log. No web and no command line here: the gateway (bot/gateway/routes/staff/) and
`buergerbot` (bot/cli/staff.py) call these functions."""
