"""What operations watch a running server by: its logs, a request id on each, its metrics and its health.

One module per job: `log_setup` (logging in every server process, text or JSON), `request_id` (the id on every
response and log line), `metrics` (the Prometheus instruments the code records into), `request_metrics` (request
latency), `metrics_route` (the token-guarded /metrics) and `multiprocess` (metrics shared by `serve --workers`).
"""
