-- A new thread of one operator.
INSERT INTO flux_chat.threads (thread_id, operator, agent)
VALUES (%(thread_id)s, %(operator)s, %(agent)s)
RETURNING thread_id, agent, created_at
