"""Alert state across runs, and the silences that mute alerts."""
