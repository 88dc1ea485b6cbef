"""What `GET /metrics` exposes, in Prometheus' format (prometheus-client; ARCHITECTURE §6).

Counters and histograms live in the process (one registry); the outbox gauges are read from the
database when scraped, so every replica reports the shared truth.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

NOTICES = Counter(
    "campaignbot_notices_total",
    "Notices that left the outbox, by kind and how they ended (sent, failed, dropped).",
    ["kind", "outcome"],
    registry=REGISTRY,
)
OUTBOX_PENDING = Gauge(
    "campaignbot_outbox_pending", "Notices waiting in the outbox.", registry=REGISTRY
)
OUTBOX_FAILED = Gauge(
    "campaignbot_outbox_failed", "Notices that ran out of retries.", registry=REGISTRY
)
OUTBOX_OLDEST_SECONDS = Gauge(
    "campaignbot_outbox_oldest_pending_seconds",
    "Age of the oldest pending notice (0 when none waits).",
    registry=REGISTRY,
)
JOB_RUNS = Counter(
    "campaignbot_job_runs_total",
    "Job runs, by job and outcome.",
    ["job", "outcome"],
    registry=REGISTRY,
)
JOB_SECONDS = Histogram(
    "campaignbot_job_duration_seconds",
    "How long each job run took.",
    ["job", "outcome"],
    registry=REGISTRY,
)
SLACK_CALLS = Counter(
    "campaignbot_slack_calls_total",
    "Slack Web API calls made by the deliverer, by method and outcome.",
    ["method", "outcome"],
    registry=REGISTRY,
)
GITHUB_REQUESTS = Counter(
    "campaignbot_github_requests_total",
    "GitHub REST requests, by method and outcome (ok, not_modified, client_error, …).",
    ["method", "outcome"],
    registry=REGISTRY,
)
ACK_SECONDS = Histogram(
    "campaignbot_slack_ack_seconds",
    "Time from a Slack request's arrival to the bot's answer (HTTP mode).",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0),
    registry=REGISTRY,
)
