"""Track screen."""
