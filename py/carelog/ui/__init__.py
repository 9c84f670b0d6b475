"""User interface: pure views (state -> markup) and the DOM glue (``dom``)."""
