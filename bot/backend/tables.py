"""ORM tables of the backend ("models" means trained Rasa models in this project)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, Column, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import declarative_base, relationship

# SQLAlchemy 1.4 ships no types: the declarative base is Any to mypy.
Base: Any = declarative_base()


class ServiceRecord(Base):
    __tablename__ = "services"

    id = Column(String(64), primary_key=True)
    name = Column(String(200), nullable=False)
    description = Column(Text, nullable=False)
    documents = Column(JSON, nullable=False, default=list)
    fees = Column(Text, nullable=False)
    processing_time = Column(Text, nullable=False)
    office_id = Column(String(64), ForeignKey("offices.id"), nullable=False)
    appointment_required = Column(Boolean, nullable=False, default=False)
    online_url = Column(String(500), nullable=True)
    keywords = Column(JSON, nullable=False, default=list)
    # The catalogue's standard fields (docs/catalogue.md); nullable so that databases created
    # before them gain them with ALTER TABLE (seed.upgrade_schema) and the next seed fills them.
    leika = Column(String(14), nullable=True)
    appointment = Column(String(16), nullable=True)  # required | recommended | none
    synonyms = Column(JSON, nullable=True)
    life_events = Column(JSON, nullable=True)
    prerequisites = Column(JSON, nullable=True)
    deadlines = Column(Text, nullable=True)
    forms = Column(JSON, nullable=True)  # [{"title": ..., "url": ...}]
    legal_basis = Column(JSON, nullable=True)
    demo = Column(Boolean, nullable=True)

    office = relationship("OfficeRecord", lazy="joined")


class OfficeRecord(Base):
    __tablename__ = "offices"

    id = Column(String(64), primary_key=True)
    name = Column(String(200), nullable=False)
    street = Column(String(200), nullable=False)
    postal_code = Column(String(10), nullable=False)
    city = Column(String(100), nullable=False)
    phone = Column(String(50), nullable=False)
    email = Column(String(200), nullable=False)
    opening_hours = Column(JSON, nullable=False)  # {"mon": ["08:00-12:00"], ...}
    accessibility = Column(Text, nullable=False)
    transport = Column(Text, nullable=False)


class LifeEventRecord(Base):
    """A life event ("Umzug") and the services it leads to, most common first."""

    __tablename__ = "life_events"

    id = Column(String(64), primary_key=True)
    name = Column(String(200), nullable=False)
    phrases = Column(JSON, nullable=False, default=list)
    services = Column(JSON, nullable=False, default=list)  # service ids


class CaseRecord(Base):
    __tablename__ = "cases"

    case_number = Column(String(20), primary_key=True)
    service_id = Column(String(64), ForeignKey("services.id"), nullable=False)
    status = Column(String(32), nullable=False)
    next_step = Column(Text, nullable=False, default="")
    access_code_hash = Column(String(200), nullable=False)  # salted scrypt, see security.py

    service = relationship("ServiceRecord", lazy="joined")
    history = relationship("CaseEventRecord", order_by="CaseEventRecord.date", lazy="selectin", cascade="all")


class CaseEventRecord(Base):
    __tablename__ = "case_events"

    id = Column(Integer, primary_key=True, autoincrement=True)
    case_number = Column(String(20), ForeignKey("cases.case_number"), nullable=False, index=True)
    date = Column(Date, nullable=False)
    status = Column(String(32), nullable=False)
    note = Column(Text, nullable=False, default="")


class VerificationLockRecord(Base):
    """Failed access-code checks per case number, known or not (so a lock reveals nothing)."""

    __tablename__ = "verification_locks"

    case_number = Column(String(20), primary_key=True)
    failed_attempts = Column(Integer, nullable=False, default=0)
    locked_until = Column(DateTime, nullable=True)  # naive UTC
