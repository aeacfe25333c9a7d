"""Delivery channels (email, Teams, webhook, file). Each knows only a rendered notice."""
