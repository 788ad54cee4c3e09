"""One-time codes by SMS: how subscribers sign in to the portal."""
