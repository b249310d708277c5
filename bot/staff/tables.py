"""The staff database: accounts, console sessions, audit log, reviews, ratings, models, jobs, handoffs.

SQLAlchemy Core tables (SQLite by default, PostgreSQL by URL). Conversations themselves stay
in Rasa's tracker store; reviews point at its event ids and keep only redacted text.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

metadata = sa.MetaData()

staff_users = sa.Table(
    "staff_users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(64), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    # Unused since login failures are counted per attempted name in `login_failures`; kept so
    # that existing databases need no migration.
    sa.Column("failed_logins", sa.Integer, nullable=False, default=0),
    sa.Column("locked_until", sa.Float),
    sa.Column("created_at", sa.Float, nullable=False),
)

# Login attempts per attempted name (known or not, so a lock reveals nothing) in a window that
# starts with the first attempt after the previous window ran out. Counted atomically before
# the password is verified (bot/staff/accounts.py).
login_failures = sa.Table(
    "login_failures",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("window_start", sa.Float, nullable=False, index=True),
)

staff_sessions = sa.Table(
    "staff_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),  # sha256 of the cookie value
    sa.Column("user_id", sa.Integer, sa.ForeignKey("staff_users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.Float, nullable=False, index=True),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("target", sa.String(255), nullable=False, default=""),
    sa.Column("detail", sa.JSON, nullable=False, default=dict),
)

reviews = sa.Table(
    "reviews",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("event_id", sa.Integer, nullable=False, unique=True),  # tracker store events.id
    sa.Column("sender_id", sa.String(255), nullable=False),
    sa.Column("text", sa.Text, nullable=False),  # redacted
    sa.Column("predicted_intent", sa.String(255)),
    sa.Column("status", sa.String(16), nullable=False),  # confirmed | corrected | discarded
    sa.Column("intent", sa.String(255)),
    sa.Column("entities", sa.JSON, nullable=False, default=list),
    sa.Column("reviewer", sa.String(64), nullable=False),
    sa.Column("reviewed_at", sa.Float, nullable=False),
)

ratings = sa.Table(
    "ratings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False),
    sa.Column("ref", sa.String(64), nullable=False),  # the rated user message's reference
    sa.Column("value", sa.Integer, nullable=False),  # +1 helpful, -1 not helpful
    sa.Column("at", sa.Float, nullable=False),
    sa.UniqueConstraint("sender_id", "ref", name="uq_rating_message"),
)

model_versions = sa.Table(
    "model_versions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # candidate | live | retired
    sa.Column("evaluation", sa.JSON),
    sa.Column("promoted_at", sa.Float),
    sa.Column("promoted_by", sa.String(64)),
)

jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # running | succeeded | failed
    sa.Column("progress", sa.Float, nullable=False, default=0.0),
    sa.Column("stage", sa.String(255), nullable=False, default=""),
    sa.Column("error", sa.Text),
    sa.Column("result", sa.JSON),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("owner", sa.String(255), nullable=False, default=""),  # host:pid of the process running it
    sa.Column("started_at", sa.Float, nullable=False),
    sa.Column("finished_at", sa.Float),
)


# Human handoff (docs/handoff.md). A sender has at most one active (queued or assigned) handoff:
# `active_sender` holds the sender while active and NULL after, so a unique index enforces it.
handoffs = sa.Table(
    "handoffs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("active_sender", sa.String(255), unique=True),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("team", sa.String(64), nullable=False),
    sa.Column("reason", sa.String(64), nullable=False, default=""),
    sa.Column("state", sa.String(16), nullable=False, index=True),  # queued|assigned|returned|closed|abandoned
    sa.Column("agent_id", sa.Integer, sa.ForeignKey("staff_users.id", ondelete="SET NULL")),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("queued_at", sa.Float, nullable=False),  # reset on transfer and requeue (queue order)
    sa.Column("assigned_at", sa.Float),  # first time a person took it (waiting time)
    sa.Column("ended_at", sa.Float, index=True),
    sa.Column("callback_offered", sa.Boolean, nullable=False, default=False),
    sa.Column("rating", sa.Integer),
    sa.Column("synced", sa.Boolean, nullable=False, default=False),  # messages appended to the tracker
)

# Every message of a handoff, stored before it is acknowledged or pushed; `id` is the seq.
handoff_messages = sa.Table(
    "handoff_messages",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("handoff_id", sa.Integer, sa.ForeignKey("handoffs.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("author_kind", sa.String(16), nullable=False),  # citizen | agent | system
    sa.Column("author", sa.String(128), nullable=False, default=""),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("buttons", sa.JSON, nullable=False, default=list),
    sa.Column("client_id", sa.String(64)),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("delivered", sa.Boolean, nullable=False, default=False),  # pushed to a channel that confirms
    sa.UniqueConstraint("handoff_id", "author_kind", "client_id", name="uq_handoff_message_client_id"),
)

# The callback form a citizen is filling in (outside service hours), kept across restarts.
callback_drafts = sa.Table(
    "callback_drafts",
    metadata,
    sa.Column("sender_id", sa.String(255), primary_key=True),
    sa.Column("team", sa.String(64), nullable=False),
    sa.Column("form", sa.JSON, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)

callback_requests = sa.Table(
    "callback_requests",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("reference", sa.String(16), nullable=False, unique=True),
    sa.Column("sender_id", sa.String(255), nullable=False),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("team", sa.String(64), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("contact_kind", sa.String(8), nullable=False),  # phone | email
    sa.Column("contact", sa.String(254), nullable=False),
    sa.Column("topic", sa.Text, nullable=False),
    sa.Column("preferred_time", sa.String(200), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),  # open | assigned | done
    sa.Column("assignee_id", sa.Integer, sa.ForeignKey("staff_users.id", ondelete="SET NULL")),
    sa.Column("created_at", sa.Float, nullable=False, index=True),
    sa.Column("done_at", sa.Float),
)

canned_answers = sa.Table(
    "canned_answers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("team", sa.String(64)),  # None: every team
    sa.Column("title", sa.String(100), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)


def engine_for(url: str) -> sa.engine.Engine:
    """An engine; for SQLite, the file's directory is created first."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        # Concurrent writers (staff logins, handoffs) wait for SQLite's lock instead of failing after 5 s.
        return sa.create_engine(url, future=True, pool_pre_ping=True, connect_args={"timeout": 30})
    return sa.create_engine(url, future=True, pool_pre_ping=True)


def connect(url: str) -> sa.engine.Engine:
    """An engine for the staff database, with its tables created if missing."""
    engine = engine_for(url)
    metadata.create_all(engine)
    return engine
