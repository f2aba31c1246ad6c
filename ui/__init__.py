"""Qt desktop app; arrives with the GUI issue."""
