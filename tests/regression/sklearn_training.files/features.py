"""Feature engineering shared by the churn notebooks."""

CATEGORICAL = ["plan", "region", "channel"]
NUMERIC = ["tenure_days", "monthly_spend", "support_tickets"]


def build_features(raw):
    frame = raw.assign(tenure_days=(raw["last_seen"] - raw["signup_date"]).dt.days)
    return frame[CATEGORICAL + NUMERIC], frame["churned"]
