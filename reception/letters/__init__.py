"""Letters to the minister: registered at a triage desk, classified, routed to the
competent department and worked to an answer, with every step on the tracking page."""
