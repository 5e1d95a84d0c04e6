"""Search: the bad-basin rate of trained populations (``basins``) and the data-optimising search (``data``)."""
