"""Staff tools: log review, redaction, retention (the console itself comes with issue 5)."""
