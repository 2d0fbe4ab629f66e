"""Background-callback apps: Dash's docs example as Dash writes it, and the portal's cases."""
