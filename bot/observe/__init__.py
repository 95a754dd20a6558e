"""Operating with numbers (SPEC §11): Prometheus metrics, the request context that JSON log
lines carry, readiness, and Slack's delivery health. prometheus_client is imported only by the
modules that count, once the process knows whether it counts across processes."""
