"""The digest pipeline: plan what is due, compose, send, record outcomes, heartbeat."""
