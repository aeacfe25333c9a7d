"""The delivery stage: the outbox dispatcher, with the retries kept in one place."""
