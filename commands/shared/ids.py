"""Every action, callback and block id of the Slack surface, in one place."""

from __future__ import annotations

COMMAND = "/campaign"

# modals (callback ids)
CREATE_MODAL = "campaign_create"
EDIT_MODAL = "campaign_edit"
DELETE_MODAL = "campaign_delete"
LOADING_MODAL = "campaign_loading"
ASSIGN_MODAL = "alert_assign"
LINK_PR_MODAL = "alert_link_pr"

# alert modals' blocks
ASSIGNEE = "assignee"
PULL_REQUEST = "pull_request"

# create / edit modal blocks (block id == action id: one element per input block)
TEMPLATE = "template"
QUERY = "query"
PREVIEW_RESULT = "preview_result"
PREVIEW_BUTTON = "preview"
BIG_CHOICE = "continue_big"
NAME = "name"
DESCRIPTION = "description"
DUE_DATE = "due_date"
MANAGER = "manager"
CHANNEL = "channel"
CONTACT_LINK = "contact_link"
CONFIRM_NAME = "confirm_name"
REMINDERS = "reminders"
REMINDER_DAYS = "reminder_days"
REMINDER_CHANNEL = "reminder_channel"
NUDGE_SEVERITIES = "nudge_severities"
NUDGE_MIN_AGE = "nudge_min_age_days"

# message and home buttons
OPEN_CREATE = "open_create"
USE_TEMPLATE = "use_template"
VIEW_CAMPAIGN = "view_campaign"
EXPAND_REPOSITORY = "expand_repository"
ALERT_PAGE = "alert_page"
REPOSITORY_PAGE = "repository_page"
ASSIGN_TO_ME = "assign_to_me"
ASSIGN_OTHER = "assign_other"
UNASSIGN = "unassign"
START_FIX = "start_fix"
LINK_PR = "link_pr"
MY_ALERTS = "my_alerts"
SNOOZE_DAY = "snooze_day"
SNOOZE_WEEK = "snooze_week"
OPEN_EDIT = "open_edit"
POST_REPORT = "post_report"
CONFIRM_CLOSE = "confirm_close"
CONFIRM_REOPEN = "confirm_reopen"
OPEN_DELETE = "open_delete"
CANCEL = "cancel"
