"""A local Stripe API simulator for tests and development (standard library + the `stripe` package).

from stripe_simulator import StripeSimulator
sim = StripeSimulator(webhook_url="http://127.0.0.1:8000/billing/stripe/webhook/")
sim.start()                # serves on a free port; sim.base_url
client = sim.client()      # a real stripe.StripeClient pointed at it
"""

from .errors import StripeError
from .simulator import API_VERSION, StripeSimulator

__all__ = ["API_VERSION", "StripeError", "StripeSimulator"]
