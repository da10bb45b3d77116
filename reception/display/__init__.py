"""Display screen."""
