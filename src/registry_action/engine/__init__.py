"""The engine: the publish loop and pull-request mode over the store interface, and retries."""
