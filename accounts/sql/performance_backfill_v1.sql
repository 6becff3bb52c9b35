-- Promoters' track record from the history kept before accounts.performance counted it.
-- Sets (not adds) every figure, so running it again changes nothing.
WITH ended AS (
    SELECT promoter_id,
           count(*) FILTER (WHERE status = 'completed') AS completed,
           count(*) FILTER (WHERE status = 'cancelled') AS cancelled
    FROM promoter_campaigns GROUP BY promoter_id
), works AS (
    SELECT pc.promoter_id,
           count(*) FILTER (WHERE w.status = 'approved') AS approved,
           count(*) FILTER (WHERE w.status = 'approved'
                            AND (d.due_date IS NULL OR w.submitted_at::date <= d.due_date)) AS on_time,
           count(*) FILTER (WHERE w.status = 'rejected') AS rejected
    FROM campaign_works w
    JOIN campaign_deliverables d ON d.id = w.deliverable_id
    JOIN promoter_campaigns pc ON pc.id = d.promoter_campaign_id
    GROUP BY pc.promoter_id
), sales AS (
    SELECT pc.promoter_id,
           count(DISTINCT c.sale_id) FILTER (WHERE c.to_status = 'verified') AS verified,
           count(DISTINCT c.sale_id) FILTER (WHERE c.to_status = 'rejected') AS rejected
    FROM sale_status_changes c
    JOIN sales_records s ON s.id = c.sale_id
    JOIN promoter_campaigns pc ON pc.id = s.participation_id
    GROUP BY pc.promoter_id
), views AS (
    SELECT pc.promoter_id, sum(v.requests) AS requests, sum(v.unique_views) AS real_views
    FROM view_stats v JOIN promoter_campaigns pc ON pc.id = v.participation_id
    GROUP BY pc.promoter_id
)
UPDATE users u SET
    campaigns_completed = COALESCE(ended.completed, 0),
    campaigns_cancelled = COALESCE(ended.cancelled, 0),
    works_approved = COALESCE(works.approved, 0),
    works_approved_on_time = COALESCE(works.on_time, 0),
    works_rejected = COALESCE(works.rejected, 0),
    sales_verified = COALESCE(sales.verified, 0),
    sales_rejected = COALESCE(sales.rejected, 0),
    link_requests = COALESCE(views.requests, 0),
    link_real_views = COALESCE(views.real_views, 0)
FROM users p
LEFT JOIN ended ON ended.promoter_id = p.id
LEFT JOIN works ON works.promoter_id = p.id
LEFT JOIN sales ON sales.promoter_id = p.id
LEFT JOIN views ON views.promoter_id = p.id
WHERE u.id = p.id AND p.role = 'promoter';
