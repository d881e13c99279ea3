-- Requests and tokens per minute, per team or per key. Enforced in each gateway process (see docs/budgets.md).
CREATE TABLE rate_limits (
    subject_type text        NOT NULL CHECK (subject_type IN ('team', 'key')),
    subject_id   text        NOT NULL,
    rpm          bigint      CHECK (rpm IS NULL OR rpm > 0),
    tpm          bigint      CHECK (tpm IS NULL OR tpm > 0),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subject_type, subject_id)
);
