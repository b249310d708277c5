"""Appointments: office calendars, holds, bookings, the free-slot search and iCalendar output (docs/appointments.md)."""
