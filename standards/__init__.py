"""Catalog editions (data, one folder each). Installed inside spi4xl as the package `spi4xl.standards`."""
