"""Staff screen."""
