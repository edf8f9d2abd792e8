-- silver's watermark: every bronze row that arrived at or before it is in silver
SELECT MAX(WATERMARK) FROM PIPELINE_WATERMARKS WHERE STEP = 'silver'
