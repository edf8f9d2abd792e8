-- A thread's messages in the order they were written.
SELECT message_id, parent_message_id, role, text, request_id, plan, created_at
FROM flux_chat.messages
WHERE thread_id = %(thread_id)s
ORDER BY created_at, message_id
LIMIT %(limit)s
