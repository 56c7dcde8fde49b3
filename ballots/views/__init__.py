"""The entry site's views, one module per screen; each parses, calls one service or selector, and renders."""
