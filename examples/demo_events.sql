CREATE TABLE IF NOT EXISTS demo_events
(
    event_id     UInt64,
    customer     String,
    event_type   String,
    path         String,
    amount       Float64,
    quantity     UInt32,
    is_trial     UInt8,
    tags         Array(String),
    coupon       Nullable(String),
    event_time   DateTime
)
ENGINE = MergeTree
ORDER BY (customer, event_time, event_id)
