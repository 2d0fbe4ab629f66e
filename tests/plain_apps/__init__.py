"""Plain Dash apps as an analyst writes them, dropped into a catalogue unchanged."""
