"""Pictures of verdicts and a static HTML report of a tournament (``arena report DIR``)."""
