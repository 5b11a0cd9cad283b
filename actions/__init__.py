"""Thin Rasa SDK actions: read the tracker, call the `coach` domain package, reply."""

from coach.checkin.quantities import warm_up
from coach.config import require_production_settings

require_production_settings("action server")  # COACH_ENV=production: no start without a duty inbox
warm_up()  # the number and date-time recognizers are built at start, not mid-conversation
