-- An operator's threads, the most recently active first, titled by their first question.
SELECT t.thread_id, t.agent, t.created_at,
       max(m.created_at) AS last_message_at,
       count(*) FILTER (WHERE m.role = 'user') AS questions,
       (SELECT left(f.text, 120) FROM flux_chat.messages f
        WHERE f.thread_id = t.thread_id AND f.role = 'user'
        ORDER BY f.created_at, f.message_id LIMIT 1) AS title
FROM flux_chat.threads t
LEFT JOIN flux_chat.messages m ON m.thread_id = t.thread_id
WHERE t.operator = %(operator)s
GROUP BY t.thread_id, t.agent, t.created_at
ORDER BY coalesce(max(m.created_at), t.created_at) DESC, t.thread_id
LIMIT %(limit)s
