"""The words of every reply: the Jinja2 templates and their rendering."""
