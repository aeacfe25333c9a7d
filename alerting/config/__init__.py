"""What users configure: the service settings, the rule set and the schedules."""
