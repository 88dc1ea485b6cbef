"""The leaked-secret playbook (the second seed): the review before acting, remediation guides,
the per-alert checklist, escalation, and exceptions."""
