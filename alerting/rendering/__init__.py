"""Rendering notices from templates (see render.py); views.py holds what templates see."""
