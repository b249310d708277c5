"""Channel adapters: each translates between its channel and the common message model."""
