-- One thread, only for the operator who owns it.
SELECT thread_id, agent, created_at
FROM flux_chat.threads
WHERE thread_id = %(thread_id)s AND operator = %(operator)s
