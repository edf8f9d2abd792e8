-- Chat threads, their messages and the operators' feedback on answers: the only rows the app
-- itself writes. They live in their own schema so the cache sync (which owns schema flux) never
-- touches them, and flux_app gets exactly INSERT and SELECT on these three tables (and USAGE on
-- their two sequences): no UPDATE, no DELETE, nothing anywhere else. Idempotent.
CREATE SCHEMA IF NOT EXISTS flux_chat;

-- One conversation of one operator (its title is its first question). thread_id is the agent's: Cortex's (POST /api/v2/cortex/threads)
-- on a Snowflake account, a random number from the local agent.
CREATE TABLE IF NOT EXISTS flux_chat.threads (
    thread_id   text PRIMARY KEY CHECK (thread_id ~ '^[A-Za-z0-9_-]{1,64}$'),
    operator    text NOT NULL CHECK (length(operator) <= 128),
    agent       text NOT NULL CHECK (agent IN ('cortex', 'local')),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS threads_operator_idx ON flux_chat.threads (operator, created_at DESC);

-- The messages as the agent numbers them: Cortex's message ids from its `metadata` events, or
-- the local agent's from the sequence. parent_message_id is the assistant message a user
-- message continues (0 for the first), as the Cortex Agents API threads them.
CREATE SEQUENCE IF NOT EXISTS flux_chat.local_message_id_seq;
CREATE TABLE IF NOT EXISTS flux_chat.messages (
    thread_id          text NOT NULL REFERENCES flux_chat.threads (thread_id),
    message_id         bigint NOT NULL DEFAULT nextval('flux_chat.local_message_id_seq'),
    parent_message_id  bigint NOT NULL DEFAULT 0,
    role               text NOT NULL CHECK (role IN ('user', 'assistant')),
    text               text NOT NULL CHECK (length(text) <= 20000),
    request_id         text CHECK (length(request_id) <= 64),
    -- the local agent's plan for the turn (intent and parameters), read by a follow-up
    plan               jsonb,
    created_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (thread_id, message_id)
);

CREATE TABLE IF NOT EXISTS flux_chat.feedback (
    feedback_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    thread_id    text NOT NULL,
    message_id   bigint NOT NULL,
    operator     text NOT NULL CHECK (length(operator) <= 128),
    positive     boolean NOT NULL,
    comment      text CHECK (length(comment) <= 1000),
    request_id   text CHECK (length(request_id) <= 64),
    -- what became of the copy sent to the Cortex feedback API: sent | failed | local
    cortex       text NOT NULL CHECK (cortex IN ('sent', 'failed', 'local')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (thread_id, message_id) REFERENCES flux_chat.messages (thread_id, message_id)
);
CREATE INDEX IF NOT EXISTS feedback_created_idx ON flux_chat.feedback (created_at DESC);

GRANT USAGE ON SCHEMA flux_chat TO flux_app;
GRANT SELECT, INSERT ON flux_chat.threads, flux_chat.messages, flux_chat.feedback TO flux_app;
GRANT USAGE ON SEQUENCE flux_chat.local_message_id_seq, flux_chat.feedback_feedback_id_seq TO flux_app;
