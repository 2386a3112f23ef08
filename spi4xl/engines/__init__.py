"""Real spreadsheet engines used to check what spi4xl writes (tests and scripts, never the renderer)."""
