-- A message numbered by the local agent (the sequence gives its id).
INSERT INTO flux_chat.messages (thread_id, parent_message_id, role, text, request_id, plan)
VALUES (%(thread_id)s, %(parent_message_id)s, %(role)s, %(text)s, %(request_id)s, %(plan)s)
RETURNING message_id
