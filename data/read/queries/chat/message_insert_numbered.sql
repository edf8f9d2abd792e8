-- A message numbered by Cortex (its id from the `metadata` event), recorded once.
INSERT INTO flux_chat.messages (thread_id, message_id, parent_message_id, role, text, request_id)
VALUES (%(thread_id)s, %(message_id)s, %(parent_message_id)s, %(role)s, %(text)s, %(request_id)s)
ON CONFLICT (thread_id, message_id) DO NOTHING
RETURNING message_id
