"""Portal routes, one module per page group."""
