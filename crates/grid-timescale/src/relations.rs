//! The relations this crate declares by hand for Diesel (`diesel print-schema` sees only the
//! store's migrations): the staging table binary COPY lands in. The tables it creates are
//! defined once, in the `.sql` files that create them, and read and written by SQL beside
//! them (the latest-value table is written from arrays, one statement a batch).

diesel::table! {
    /// The temporary staging table of a connection (binary COPY lands here when a batch
    /// needs `ON CONFLICT` handling).
    sensor_readings_staging (sensor_id, timestamp) {
        /// The sensor (`grid_sensors.id`).
        sensor_id -> Uuid,
        /// When it was measured.
        timestamp -> Timestamptz,
        /// Calibrated value.
        value -> Float8,
        /// Raw value.
        value_raw -> Nullable<Float8>,
        /// Quality, 0–1.
        quality_indicator -> Float8,
        /// Anomaly flag.
        is_anomaly -> Bool,
        /// Anomaly score, [0, 1] (NULL: not scored).
        anomaly_score -> Nullable<Float8>,
        /// Out-of-range flag.
        is_out_of_range -> Bool,
        /// Free-form attributes of the reading.
        metadata -> Nullable<Jsonb>,
    }
}
