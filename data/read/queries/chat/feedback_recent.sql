-- The latest ratings with the question and the answer they rate.
SELECT f.feedback_id, f.created_at, f.operator, f.positive, f.comment, f.thread_id, f.message_id,
       f.request_id, f.cortex, left(a.text, 500) AS answer,
       (SELECT left(q.text, 300) FROM flux_chat.messages q
        WHERE q.thread_id = a.thread_id AND q.message_id = a.parent_message_id) AS question
FROM flux_chat.feedback f
JOIN flux_chat.messages a ON a.thread_id = f.thread_id AND a.message_id = f.message_id
WHERE f.created_at >= now() - make_interval(days => %(days)s)
ORDER BY f.created_at DESC, f.feedback_id DESC
LIMIT %(limit)s
