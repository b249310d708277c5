"""Service backend: catalogue, offices and cases behind a FastAPI HTTP API."""
