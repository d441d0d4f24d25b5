// @generated automatically by Diesel CLI.

pub mod sql_types {
    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "alert_severity"))]
    pub struct AlertSeverity;

    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "alert_status"))]
    pub struct AlertStatus;

    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "grid_zone"))]
    pub struct GridZone;

    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "insulation_paper"))]
    pub struct InsulationPaper;

    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "maintenance_type"))]
    pub struct MaintenanceType;

    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "sensor_status"))]
    pub struct SensorStatus;

    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "sensor_type"))]
    pub struct SensorType;

    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "thermal_ambient_source"))]
    pub struct ThermalAmbientSource;

    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "thermal_load_source"))]
    pub struct ThermalLoadSource;

    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "thermal_method"))]
    pub struct ThermalMethod;
}

diesel::table! {
    alarm_actions (id) {
        id -> Int8,
        sensor_id -> Uuid,
        #[max_length = 20]
        action -> Varchar,
        #[max_length = 100]
        actor -> Varchar,
        reason -> Nullable<Text>,
        until -> Nullable<Timestamptz>,
        at -> Timestamptz,
    }
}

diesel::table! {
    alarm_areas (area) {
        #[max_length = 50]
        area -> Varchar,
        state -> Jsonb,
        flood_alert_id -> Nullable<Uuid>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    alarm_points (sensor_id) {
        sensor_id -> Uuid,
        state -> Jsonb,
        last_reading_at -> Nullable<Timestamptz>,
        alert_id -> Nullable<Uuid>,
        shelved_until -> Nullable<Timestamptz>,
        #[max_length = 100]
        shelved_by -> Nullable<Varchar>,
        shelve_reason -> Nullable<Text>,
        out_of_service_since -> Nullable<Timestamptz>,
        #[max_length = 100]
        out_of_service_by -> Nullable<Varchar>,
        out_of_service_reason -> Nullable<Text>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::AlertStatus;

    alert_transitions (id) {
        id -> Int8,
        alert_id -> Uuid,
        from_status -> Nullable<AlertStatus>,
        to_status -> AlertStatus,
        #[max_length = 100]
        actor -> Nullable<Varchar>,
        occurred_at -> Timestamptz,
        note -> Nullable<Text>,
        recorded_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::AlertSeverity;

    anomaly_detections (id) {
        id -> Uuid,
        sensor_id -> Uuid,
        #[max_length = 100]
        anomaly_type -> Varchar,
        detected_at -> Timestamptz,
        anomaly_score -> Float8,
        severity -> AlertSeverity,
        expected_value -> Nullable<Float8>,
        actual_value -> Nullable<Float8>,
        deviation_percentage -> Nullable<Float8>,
        contributing_factors -> Jsonb,
        potential_causes -> Array<Nullable<Text>>,
        recommended_actions -> Array<Nullable<Text>>,
        is_false_positive -> Nullable<Bool>,
        investigated -> Bool,
        investigation_notes -> Nullable<Text>,
        metadata -> Jsonb,
        created_at -> Timestamptz,
        episode_start -> Timestamptz,
        episode_end -> Timestamptz,
        ongoing -> Bool,
    }
}

diesel::table! {
    anomaly_imbalance_states (substation_id, phase_set) {
        substation_id -> Uuid,
        #[max_length = 16]
        phase_set -> Varchar,
        last_group_at -> Timestamptz,
        open_anomaly_id -> Nullable<Uuid>,
        state -> Bytea,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    anomaly_sensor_states (sensor_id) {
        sensor_id -> Uuid,
        last_reading_at -> Timestamptz,
        open_anomaly_id -> Nullable<Uuid>,
        state -> Bytea,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::AlertSeverity;

    cyber_security_events (id) {
        id -> Uuid,
        #[max_length = 100]
        event_type -> Varchar,
        severity -> AlertSeverity,
        source_ip -> Nullable<Inet>,
        #[max_length = 100]
        source_user -> Nullable<Varchar>,
        #[max_length = 100]
        target_system -> Nullable<Varchar>,
        description -> Nullable<Text>,
        #[max_length = 500]
        command_attempted -> Nullable<Varchar>,
        #[max_length = 50]
        access_level_required -> Nullable<Varchar>,
        #[max_length = 100]
        detected_by -> Nullable<Varchar>,
        #[max_length = 100]
        detection_method -> Nullable<Varchar>,
        is_blocked -> Bool,
        #[max_length = 100]
        response_action -> Nullable<Varchar>,
        investigated -> Bool,
        is_threat -> Nullable<Bool>,
        metadata -> Jsonb,
        occurred_at -> Timestamptz,
        detected_at -> Timestamptz,
        created_at -> Timestamptz,
        occurrences -> Int4,
        last_seen_at -> Timestamptz,
        #[max_length = 200]
        fold_key -> Nullable<Varchar>,
        #[max_length = 63]
        recorded_by -> Varchar,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::GridZone;

    daily_grid_statistics (id) {
        id -> Uuid,
        date -> Date,
        zone -> GridZone,
        peak_load_mw -> Nullable<Float8>,
        peak_load_time -> Nullable<Timestamptz>,
        average_load_mw -> Nullable<Float8>,
        min_load_mw -> Nullable<Float8>,
        total_energy_mwh -> Nullable<Float8>,
        average_voltage_kv -> Nullable<Float8>,
        voltage_violations_count -> Int4,
        frequency_violations_count -> Int4,
        total_outages -> Int4,
        total_outage_minutes -> Float8,
        saidi -> Nullable<Float8>,
        saifi -> Nullable<Float8>,
        total_alerts -> Int4,
        critical_alerts -> Int4,
        alerts_resolved -> Int4,
        scheduled_maintenance_hours -> Float8,
        unscheduled_maintenance_hours -> Float8,
        metadata -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::AlertSeverity;
    use super::sql_types::AlertStatus;

    grid_alerts (id) {
        id -> Uuid,
        substation_id -> Nullable<Uuid>,
        sensor_id -> Nullable<Uuid>,
        #[max_length = 100]
        alert_type -> Varchar,
        severity -> AlertSeverity,
        #[max_length = 255]
        title -> Varchar,
        description -> Nullable<Text>,
        status -> AlertStatus,
        current_value -> Nullable<Float8>,
        threshold_value -> Nullable<Float8>,
        deviation_percentage -> Nullable<Float8>,
        #[max_length = 100]
        assigned_to -> Nullable<Varchar>,
        assigned_at -> Nullable<Timestamptz>,
        acknowledged_at -> Nullable<Timestamptz>,
        #[max_length = 100]
        acknowledged_by -> Nullable<Varchar>,
        resolved_at -> Nullable<Timestamptz>,
        #[max_length = 100]
        resolved_by -> Nullable<Varchar>,
        resolution_notes -> Nullable<Text>,
        affected_customers -> Int4,
        estimated_revenue_loss -> Nullable<Float8>,
        sms_sent -> Bool,
        email_sent -> Bool,
        webhook_sent -> Bool,
        metadata -> Jsonb,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::SensorType;
    use super::sql_types::SensorStatus;

    grid_sensors (id) {
        id -> Uuid,
        substation_id -> Uuid,
        transformer_id -> Nullable<Uuid>,
        #[max_length = 100]
        sensor_id -> Varchar,
        sensor_type -> SensorType,
        #[max_length = 100]
        sensor_model -> Nullable<Varchar>,
        #[max_length = 100]
        manufacturer -> Nullable<Varchar>,
        #[max_length = 255]
        location_description -> Nullable<Varchar>,
        installation_date -> Nullable<Timestamptz>,
        #[max_length = 20]
        measurement_unit -> Nullable<Varchar>,
        sampling_rate_hz -> Float8,
        precision_decimals -> Int4,
        calibration_offset -> Float8,
        calibration_scale -> Float8,
        last_calibration_date -> Nullable<Timestamptz>,
        next_calibration_date -> Nullable<Timestamptz>,
        status -> SensorStatus,
        is_critical -> Bool,
        ip_address -> Nullable<Inet>,
        port -> Nullable<Int4>,
        #[max_length = 50]
        protocol -> Nullable<Varchar>,
        metadata -> Jsonb,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        last_reading_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::GridZone;

    grid_substations (id) {
        id -> Uuid,
        #[max_length = 255]
        name -> Varchar,
        #[max_length = 50]
        code -> Varchar,
        zone -> GridZone,
        latitude -> Float8,
        longitude -> Float8,
        #[max_length = 500]
        address -> Nullable<Varchar>,
        #[max_length = 100]
        county -> Nullable<Varchar>,
        voltage_level_kv -> Int4,
        capacity_mva -> Float8,
        num_transformers -> Int4,
        num_feeders -> Int4,
        customers_served -> Int4,
        is_active -> Bool,
        commissioned_date -> Nullable<Timestamptz>,
        last_maintenance_date -> Nullable<Timestamptz>,
        metadata -> Jsonb,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        fed_from -> Nullable<Uuid>,
    }
}

diesel::table! {
    grid_user_tokens (id) {
        id -> Uuid,
        user_id -> Uuid,
        token_sha256 -> Bytea,
        created_at -> Timestamptz,
        expires_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::GridZone;

    grid_users (id) {
        id -> Uuid,
        #[max_length = 100]
        name -> Varchar,
        #[max_length = 20]
        role -> Varchar,
        zones -> Array<Nullable<GridZone>>,
        disabled_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::GridZone;

    load_forecasts (id) {
        id -> Uuid,
        zone -> GridZone,
        forecast_timestamp -> Timestamptz,
        predicted_load_mw -> Float8,
        confidence_interval_lower -> Nullable<Float8>,
        confidence_interval_upper -> Nullable<Float8>,
        confidence_percentage -> Float8,
        #[max_length = 50]
        model_version -> Nullable<Varchar>,
        prediction_error_mape -> Nullable<Float8>,
        actual_load_mw -> Nullable<Float8>,
        actual_recorded_at -> Nullable<Timestamptz>,
        metadata -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::MaintenanceType;

    maintenance_records (id) {
        id -> Uuid,
        transformer_id -> Nullable<Uuid>,
        maintenance_type -> MaintenanceType,
        #[max_length = 255]
        title -> Varchar,
        description -> Nullable<Text>,
        scheduled_date -> Nullable<Timestamptz>,
        started_at -> Nullable<Timestamptz>,
        completed_at -> Nullable<Timestamptz>,
        duration_hours -> Nullable<Float8>,
        #[max_length = 100]
        technician_name -> Nullable<Varchar>,
        team_size -> Int4,
        #[max_length = 50]
        status -> Varchar,
        findings -> Nullable<Text>,
        actions_taken -> Nullable<Text>,
        parts_replaced -> Array<Nullable<Text>>,
        labor_cost -> Nullable<Float8>,
        parts_cost -> Nullable<Float8>,
        total_cost -> Nullable<Float8>,
        was_successful -> Nullable<Bool>,
        downtime_hours -> Nullable<Float8>,
        next_maintenance_date -> Nullable<Timestamptz>,
        metadata -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    sensor_readings (sensor_id, timestamp) {
        sensor_id -> Uuid,
        timestamp -> Timestamptz,
        value -> Float8,
        value_raw -> Nullable<Float8>,
        quality_indicator -> Float8,
        is_anomaly -> Bool,
        anomaly_score -> Nullable<Float8>,
        is_out_of_range -> Bool,
        metadata -> Nullable<Jsonb>,
    }
}

diesel::table! {
    sensor_readings_quarantine (sensor_id, timestamp) {
        sensor_id -> Uuid,
        timestamp -> Timestamptz,
        value -> Float8,
        value_raw -> Nullable<Float8>,
        quality_indicator -> Float8,
        is_anomaly -> Bool,
        anomaly_score -> Nullable<Float8>,
        is_out_of_range -> Bool,
        metadata -> Nullable<Jsonb>,
        quarantined_at -> Timestamptz,
        reason -> Text,
    }
}

diesel::table! {
    substation_customer_counts (substation_id, effective_from) {
        substation_id -> Uuid,
        effective_from -> Date,
        customers_served -> Int4,
        recorded_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::ThermalMethod;
    use super::sql_types::ThermalLoadSource;
    use super::sql_types::ThermalAmbientSource;

    transformer_thermal_days (transformer_id, day) {
        transformer_id -> Uuid,
        day -> Date,
        method -> ThermalMethod,
        load_source -> ThermalLoadSource,
        ambient_source -> ThermalAmbientSource,
        covered_hours -> Float8,
        spans -> Int4,
        peak_load_pu -> Nullable<Float8>,
        peak_top_oil_c -> Nullable<Float8>,
        peak_hot_spot_c -> Nullable<Float8>,
        peak_hot_spot_at -> Nullable<Timestamptz>,
        equivalent_ageing_factor -> Nullable<Float8>,
        loss_of_life_hours -> Float8,
        life_consumed_hours -> Nullable<Float8>,
        hours_above_110c -> Float8,
        hours_above_120c -> Float8,
        hours_above_140c -> Float8,
        top_oil_residual_mean_k -> Nullable<Float8>,
        top_oil_residual_max_k -> Nullable<Float8>,
        hot_spot_residual_mean_k -> Nullable<Float8>,
        hot_spot_residual_max_k -> Nullable<Float8>,
        computed_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::ThermalMethod;
    use super::sql_types::InsulationPaper;

    transformer_thermal_parameters (transformer_id) {
        transformer_id -> Uuid,
        method -> ThermalMethod,
        insulation -> InsulationPaper,
        rated_top_oil_rise_k -> Nullable<Float8>,
        rated_hot_spot_gradient_k -> Nullable<Float8>,
        loss_ratio -> Nullable<Float8>,
        oil_exponent -> Nullable<Float8>,
        winding_exponent -> Nullable<Float8>,
        oil_time_constant_min -> Nullable<Float8>,
        winding_time_constant_min -> Nullable<Float8>,
        k11 -> Nullable<Float8>,
        k21 -> Nullable<Float8>,
        k22 -> Nullable<Float8>,
        normal_life_hours -> Nullable<Float8>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    transformers (id) {
        id -> Uuid,
        substation_id -> Uuid,
        #[max_length = 255]
        name -> Varchar,
        #[max_length = 100]
        serial_number -> Nullable<Varchar>,
        #[max_length = 100]
        manufacturer -> Nullable<Varchar>,
        year_manufactured -> Nullable<Int4>,
        capacity_mva -> Float8,
        voltage_primary_kv -> Float8,
        voltage_secondary_kv -> Float8,
        #[max_length = 50]
        cooling_type -> Nullable<Varchar>,
        current_load_mva -> Float8,
        load_percentage -> Float8,
        oil_temperature_celsius -> Nullable<Float8>,
        winding_temperature_celsius -> Nullable<Float8>,
        oil_level_percentage -> Float8,
        health_score -> Nullable<Float8>,
        estimated_remaining_life_years -> Nullable<Float8>,
        failure_probability_7days -> Nullable<Float8>,
        failure_probability_30days -> Nullable<Float8>,
        is_operational -> Bool,
        last_maintenance_date -> Nullable<Timestamptz>,
        next_maintenance_date -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        relative_risk_index -> Nullable<Float8>,
    }
}

diesel::joinable!(alarm_actions -> grid_sensors (sensor_id));
diesel::joinable!(alarm_areas -> grid_alerts (flood_alert_id));
diesel::joinable!(alarm_points -> grid_alerts (alert_id));
diesel::joinable!(alarm_points -> grid_sensors (sensor_id));
diesel::joinable!(alert_transitions -> grid_alerts (alert_id));
diesel::joinable!(anomaly_detections -> grid_sensors (sensor_id));
diesel::joinable!(anomaly_imbalance_states -> anomaly_detections (open_anomaly_id));
diesel::joinable!(anomaly_imbalance_states -> grid_substations (substation_id));
diesel::joinable!(anomaly_sensor_states -> anomaly_detections (open_anomaly_id));
diesel::joinable!(anomaly_sensor_states -> grid_sensors (sensor_id));
diesel::joinable!(grid_alerts -> grid_sensors (sensor_id));
diesel::joinable!(grid_alerts -> grid_substations (substation_id));
diesel::joinable!(grid_sensors -> grid_substations (substation_id));
diesel::joinable!(grid_sensors -> transformers (transformer_id));
diesel::joinable!(grid_user_tokens -> grid_users (user_id));
diesel::joinable!(maintenance_records -> transformers (transformer_id));
diesel::joinable!(sensor_readings -> grid_sensors (sensor_id));
diesel::joinable!(substation_customer_counts -> grid_substations (substation_id));
diesel::joinable!(transformer_thermal_days -> transformers (transformer_id));
diesel::joinable!(transformer_thermal_parameters -> transformers (transformer_id));
diesel::joinable!(transformers -> grid_substations (substation_id));

diesel::allow_tables_to_appear_in_same_query!(
    alarm_actions,
    alarm_areas,
    alarm_points,
    alert_transitions,
    anomaly_detections,
    anomaly_imbalance_states,
    anomaly_sensor_states,
    cyber_security_events,
    daily_grid_statistics,
    grid_alerts,
    grid_sensors,
    grid_substations,
    grid_user_tokens,
    grid_users,
    load_forecasts,
    maintenance_records,
    sensor_readings,
    sensor_readings_quarantine,
    substation_customer_counts,
    transformer_thermal_days,
    transformer_thermal_parameters,
    transformers,
);
