"""The FAL endpoints of the seed's media models, one module per kind."""
