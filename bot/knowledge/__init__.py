"""The curated notes: parsing and validating them, and importing or exporting them."""
