"""A board's state rendered for other programs (SVG; PDF later)."""
