"""Web chat: WebSocket and HTTP endpoints plus the embeddable widget's static assets."""
