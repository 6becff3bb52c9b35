-- tracking_views_count: counts a batch of tracking-link requests in one statement.
--
-- Loaded by tracking/migrations/0002_views_count_function.py. To change the function, add
-- views_count_v2.sql beside this file and a migration that loads it (reverse: this file); never
-- edit a version that a migration has loaded.
--
-- p_views: a JSON array of requests, each [participation_id, campaign_id, day, reason, visitor,
-- ip_key, minute, created_at]; reason is set when the redirect already refused the request
-- (prefetch, bot, inactive, self). In arrival order: the per-IP rate limit (p_rate_limit a
-- minute), the once-a-day dedupe per visitor, then the cap, granted with a conditional UPDATE of
-- the campaign row (paid_views + n <= max_views AND status = 'active'), so concurrent batches
-- never pay more views than the campaign bought. Returns each request's reason (NULL: a paid
-- view) and whether its campaign reached the cap with it. p_relax: commit this transaction
-- without waiting for the WAL flush (see tracking/services.py for why that is safe).
--
-- Statistics note: the requests carry a boolean `counted` rather than being filtered on
-- `reason IS NULL`, whose 0.5% estimate made PostgreSQL pick nested loops (n^2 per batch).

CREATE OR REPLACE FUNCTION tracking_views_count(
    p_views jsonb, p_rate_limit integer, p_relax boolean
) RETURNS TABLE (n bigint, reason text, cap_reached boolean)
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
BEGIN
    IF p_relax THEN
        -- See services.py: view rows commit without waiting for the WAL flush (this transaction only).
        PERFORM set_config('synchronous_commit', 'off', true);
    END IF;
    RETURN QUERY
    WITH req AS MATERIALIZED (
        SELECT e.n, (e.v->>0)::bigint AS participation_id, (e.v->>1)::bigint AS campaign_id,
               (e.v->>2)::date AS day, e.v->>3 AS reason, e.v->>4 AS visitor, e.v->>5 AS ip_key,
               (e.v->>6)::bigint AS minute, (e.v->>7)::timestamptz AS created_at,
               (e.v->>3) IS NULL AS counted
        FROM jsonb_array_elements(p_views) WITH ORDINALITY AS e(v, n)
    ), rate AS (
        INSERT INTO tracking_rate_limits (ip_key, minute, count)
        SELECT ip_key, minute, count(*) FROM req WHERE counted
        GROUP BY ip_key, minute ORDER BY ip_key, minute
        ON CONFLICT (ip_key, minute) DO UPDATE SET count = tracking_rate_limits.count + excluded.count
        RETURNING ip_key, minute, count
    ), checked AS MATERIALIZED (
        SELECT req.n, req.participation_id, req.campaign_id, req.day, req.visitor, req.created_at,
               coalesce(rate.count - count(*) OVER same_ip + row_number() OVER (same_ip ORDER BY req.n)
                        > p_rate_limit, false) AS limited
        FROM req LEFT JOIN rate ON rate.ip_key = req.ip_key AND rate.minute = req.minute
        WHERE req.counted
        WINDOW same_ip AS (PARTITION BY req.ip_key, req.minute)
    ), fresh AS (
        INSERT INTO unique_views (participation_id, day, visitor_hash, created_at)
        SELECT DISTINCT ON (participation_id, day, visitor) participation_id, day, visitor, created_at
        FROM checked WHERE NOT limited
        ORDER BY participation_id, day, visitor, n
        ON CONFLICT (participation_id, day, visitor_hash) DO NOTHING
        RETURNING participation_id, day, visitor_hash
    ), first_fresh AS MATERIALIZED (
        SELECT min(c.n) AS n, min(c.campaign_id) AS campaign_id
        FROM fresh f JOIN checked c
          ON c.participation_id = f.participation_id AND c.day = f.day AND c.visitor = f.visitor_hash
        WHERE NOT c.limited
        GROUP BY f.participation_id, f.day, f.visitor_hash
    ), wanted AS (
        SELECT campaign_id, count(*) AS views FROM first_fresh GROUP BY campaign_id
    ), locked AS MATERIALIZED (
        SELECT id, paid_views, max_views, status FROM campaigns
        WHERE id IN (SELECT campaign_id FROM wanted)
        ORDER BY id FOR NO KEY UPDATE
    ), cap AS (
        UPDATE campaigns c SET paid_views = c.paid_views + g.granted
        FROM (SELECT l.id, LEAST(w.views, l.max_views - l.paid_views) AS granted
              FROM locked l JOIN wanted w ON w.campaign_id = l.id
              WHERE l.status = 'active' AND l.paid_views < l.max_views) g
        WHERE c.id = g.id AND c.status = 'active' AND c.paid_views + g.granted <= c.max_views
        RETURNING c.id, g.granted, c.paid_views >= c.max_views AS reached
    ), outcome AS MATERIALIZED (
        SELECT r.n, r.participation_id, r.campaign_id, r.day, f.n IS NOT NULL AS fresh, cap.reached,
               CASE WHEN r.reason IS NOT NULL THEN r.reason
                    WHEN c.limited THEN 'rate_limit'
                    WHEN f.n IS NULL THEN 'duplicate'
                    WHEN row_number() OVER (PARTITION BY f.campaign_id ORDER BY f.n) <= coalesce(cap.granted, 0)
                        THEN NULL
                    ELSE 'cap' END AS reason
        FROM req r
        LEFT JOIN checked c ON c.n = r.n
        LEFT JOIN first_fresh f ON f.n = r.n
        LEFT JOIN cap ON cap.id = f.campaign_id
    ), generated AS (
        UPDATE promoter_campaigns p SET views_generated = p.views_generated + g.paid
        FROM (SELECT participation_id, count(*) AS paid FROM outcome WHERE reason IS NULL
              GROUP BY participation_id) g
        WHERE p.id = g.participation_id
    ), stats AS (
        INSERT INTO view_stats (participation_id, campaign_id, day, requests, unique_views, paid_views,
            rejected_prefetch, rejected_bot, rejected_inactive, rejected_self, rejected_rate_limit,
            rejected_duplicate, rejected_cap)
        SELECT participation_id, campaign_id, day, count(*), count(*) FILTER (WHERE fresh),
               count(*) FILTER (WHERE reason IS NULL),
               count(*) FILTER (WHERE reason = 'prefetch'), count(*) FILTER (WHERE reason = 'bot'),
               count(*) FILTER (WHERE reason = 'inactive'), count(*) FILTER (WHERE reason = 'self'),
               count(*) FILTER (WHERE reason = 'rate_limit'), count(*) FILTER (WHERE reason = 'duplicate'),
               count(*) FILTER (WHERE reason = 'cap')
        FROM outcome GROUP BY participation_id, campaign_id, day ORDER BY participation_id, day
        ON CONFLICT (participation_id, day) DO UPDATE SET
            requests = view_stats.requests + excluded.requests,
            unique_views = view_stats.unique_views + excluded.unique_views,
            paid_views = view_stats.paid_views + excluded.paid_views,
            rejected_prefetch = view_stats.rejected_prefetch + excluded.rejected_prefetch,
            rejected_bot = view_stats.rejected_bot + excluded.rejected_bot,
            rejected_inactive = view_stats.rejected_inactive + excluded.rejected_inactive,
            rejected_self = view_stats.rejected_self + excluded.rejected_self,
            rejected_rate_limit = view_stats.rejected_rate_limit + excluded.rejected_rate_limit,
            rejected_duplicate = view_stats.rejected_duplicate + excluded.rejected_duplicate,
            rejected_cap = view_stats.rejected_cap + excluded.rejected_cap
    )
    SELECT o.n, o.reason, coalesce(o.reached AND o.reason IS NULL, false) FROM outcome o ORDER BY o.n;
END
$fn$;
