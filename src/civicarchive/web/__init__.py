"""The HTTP edge (FastAPI): thin routes over the archive's services. So far the webhook
receiver (webhooks.py); the staff app and the public portal will live beside it."""
