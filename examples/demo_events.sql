CREATE TABLE IF NOT EXISTS demo_events
(
    event_id     UInt64,
    customer     LowCardinality(String),
    event_type   Enum8('api_call' = 1, 'page_view' = 2, 'checkout' = 3, 'login' = 4),
    path         String,
    amount       Decimal(10, 2),
    quantity     UInt32,
    is_trial     Bool,
    tags         Array(LowCardinality(String)),
    labels       Map(String, String),
    device       Tuple(os LowCardinality(String), version String),
    client_ip    IPv6,
    coupon       Nullable(String),
    event_time   DateTime64(3, 'UTC')
)
ENGINE = MergeTree
ORDER BY (customer, event_time, event_id)
