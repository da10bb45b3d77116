"""JSON API v1 with its OpenAPI document."""
