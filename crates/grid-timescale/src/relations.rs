//! The relations this crate creates, declared by hand for Diesel: `diesel print-schema` sees
//! only the store's migrations, and the rollups are views in one mode and tables in others.

diesel::table! {
    /// The newest reading of each sensor, kept by ingest.
    sensor_latest_readings (sensor_id) {
        /// The sensor (`grid_sensors.id`).
        sensor_id -> Uuid,
        /// Time of its newest reading.
        timestamp -> Timestamptz,
        /// Calibrated value.
        value -> Float8,
        /// Quality, 0–1.
        quality_indicator -> Float8,
        /// Outside the operating limits.
        is_out_of_range -> Bool,
        /// Flagged as anomalous.
        is_anomaly -> Bool,
    }
}

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
        /// Out-of-range flag.
        is_out_of_range -> Bool,
        /// Free-form attributes of the reading.
        metadata -> Nullable<Jsonb>,
    }
}
