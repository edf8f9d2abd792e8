-- One rating of one answer; a later rating of the same answer is a new row (nothing is lost).
INSERT INTO flux_chat.feedback (thread_id, message_id, operator, positive, comment, request_id, cortex)
VALUES (%(thread_id)s, %(message_id)s, %(operator)s, %(positive)s, %(comment)s, %(request_id)s, %(cortex)s)
RETURNING feedback_id, created_at
