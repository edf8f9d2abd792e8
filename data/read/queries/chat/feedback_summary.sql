-- Ratings per day over the window, counting each operator's latest rating of each answer.
WITH latest AS (
    SELECT DISTINCT ON (thread_id, message_id, operator) positive, created_at
    FROM flux_chat.feedback
    WHERE created_at >= now() - make_interval(days => %(days)s)
    ORDER BY thread_id, message_id, operator, created_at DESC, feedback_id DESC
)
SELECT date_trunc('day', created_at) AS day,
       count(*) FILTER (WHERE positive) AS up,
       count(*) FILTER (WHERE NOT positive) AS down
FROM latest
GROUP BY 1
ORDER BY 1 DESC
