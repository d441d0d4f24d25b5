CREATE TABLE grid_substations (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name                  varchar(255) NOT NULL,
    code                  varchar(50) NOT NULL,
    zone                  grid_zone NOT NULL,
    latitude              double precision NOT NULL,
    longitude             double precision NOT NULL,
    address               varchar(500),
    county                varchar(100),
    voltage_level_kv      integer NOT NULL,
    capacity_mva          double precision NOT NULL,
    num_transformers      integer NOT NULL DEFAULT 0,
    num_feeders           integer NOT NULL DEFAULT 0,
    -- Not in the reference: N_T, the denominator of SAIDI and SAIFI.
    customers_served      integer NOT NULL DEFAULT 0,
    is_active             boolean NOT NULL DEFAULT true,
    commissioned_date     timestamptz,
    last_maintenance_date timestamptz,
    metadata              jsonb NOT NULL DEFAULT '{}',
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT grid_substations_name_key UNIQUE (name),
    CONSTRAINT grid_substations_code_key UNIQUE (code),
    CONSTRAINT ck_grid_substations_latitude CHECK (latitude BETWEEN -90 AND 90),
    CONSTRAINT ck_grid_substations_longitude CHECK (longitude BETWEEN -180 AND 180),
    CONSTRAINT ck_grid_substations_voltage_level_kv
        CHECK (voltage_level_kv IN (11, 33, 66, 132, 220, 400)),
    CONSTRAINT ck_grid_substations_capacity_mva CHECK (capacity_mva > 0),
    CONSTRAINT ck_grid_substations_num_transformers CHECK (num_transformers >= 0),
    CONSTRAINT ck_grid_substations_num_feeders CHECK (num_feeders >= 0),
    CONSTRAINT ck_grid_substations_customers_served CHECK (customers_served >= 0)
);
CREATE INDEX ix_grid_substations_zone ON grid_substations (zone);
CREATE TRIGGER grid_substations_updated_at BEFORE UPDATE ON grid_substations
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE transformers (
    id                             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    substation_id                  uuid NOT NULL
        REFERENCES grid_substations (id) ON DELETE CASCADE,
    name                           varchar(255) NOT NULL,
    serial_number                  varchar(100),
    manufacturer                   varchar(100),
    year_manufactured              integer,
    capacity_mva                   double precision NOT NULL,
    voltage_primary_kv             double precision NOT NULL,
    voltage_secondary_kv           double precision NOT NULL,
    cooling_type                   varchar(50),
    current_load_mva               double precision NOT NULL DEFAULT 0.0,
    load_percentage                double precision NOT NULL DEFAULT 0.0,
    oil_temperature_celsius        double precision,
    winding_temperature_celsius    double precision,
    oil_level_percentage           double precision NOT NULL DEFAULT 100.0,
    health_score                   double precision NOT NULL DEFAULT 100.0,
    estimated_remaining_life_years double precision,
    failure_probability_7days      double precision NOT NULL DEFAULT 0.0,
    failure_probability_30days     double precision NOT NULL DEFAULT 0.0,
    is_operational                 boolean NOT NULL DEFAULT true,
    last_maintenance_date          timestamptz,
    next_maintenance_date          timestamptz,
    created_at                     timestamptz NOT NULL DEFAULT now(),
    updated_at                     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT transformers_serial_number_key UNIQUE (serial_number),
    CONSTRAINT check_capacity_positive CHECK (capacity_mva > 0),
    -- The reference capped this at 100; IEEE C57.91 allows planned and emergency overload,
    -- which is exactly what monitoring must record.
    CONSTRAINT check_load_percentage CHECK (load_percentage >= 0 AND load_percentage <= 200),
    CONSTRAINT ck_transformers_voltage_primary_kv CHECK (voltage_primary_kv > 0),
    CONSTRAINT ck_transformers_voltage_secondary_kv CHECK (voltage_secondary_kv > 0),
    CONSTRAINT ck_transformers_current_load_mva CHECK (current_load_mva >= 0),
    CONSTRAINT ck_transformers_oil_level_percentage
        CHECK (oil_level_percentage >= 0 AND oil_level_percentage <= 100),
    CONSTRAINT ck_transformers_health_score CHECK (health_score >= 0 AND health_score <= 100),
    CONSTRAINT ck_transformers_estimated_remaining_life_years
        CHECK (estimated_remaining_life_years >= 0),
    CONSTRAINT ck_transformers_failure_probability_7days
        CHECK (failure_probability_7days >= 0 AND failure_probability_7days <= 1),
    CONSTRAINT ck_transformers_failure_probability_30days
        CHECK (failure_probability_30days >= 0 AND failure_probability_30days <= 1)
);
CREATE INDEX idx_transformer_health ON transformers (health_score, failure_probability_7days);
-- Not in the reference: the foreign key's index (cascading deletes, per-substation lists).
CREATE INDEX ix_transformers_substation_id ON transformers (substation_id);
CREATE TRIGGER transformers_updated_at BEFORE UPDATE ON transformers
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE grid_sensors (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    substation_id         uuid NOT NULL REFERENCES grid_substations (id) ON DELETE CASCADE,
    -- Not in the reference: oil/winding temperature and load sensors sit on a transformer.
    transformer_id        uuid REFERENCES transformers (id) ON DELETE SET NULL,
    sensor_id             varchar(100) NOT NULL,
    sensor_type           sensor_type NOT NULL,
    sensor_model          varchar(100),
    manufacturer          varchar(100),
    location_description  varchar(255),
    installation_date     timestamptz,
    measurement_unit      varchar(20),
    sampling_rate_hz      double precision NOT NULL DEFAULT 1.0,
    precision_decimals    integer NOT NULL DEFAULT 2,
    calibration_offset    double precision NOT NULL DEFAULT 0.0,
    calibration_scale     double precision NOT NULL DEFAULT 1.0,
    last_calibration_date timestamptz,
    next_calibration_date timestamptz,
    status                sensor_status NOT NULL DEFAULT 'active',
    is_critical           boolean NOT NULL DEFAULT false,
    ip_address            inet,
    port                  integer,
    protocol              varchar(50),
    metadata              jsonb NOT NULL DEFAULT '{}',
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    last_reading_at       timestamptz,
    CONSTRAINT ck_grid_sensors_sampling_rate_hz CHECK (sampling_rate_hz > 0),
    CONSTRAINT ck_grid_sensors_precision_decimals
        CHECK (precision_decimals >= 0 AND precision_decimals <= 15),
    CONSTRAINT ck_grid_sensors_calibration_scale CHECK (calibration_scale <> 0),
    CONSTRAINT ck_grid_sensors_port CHECK (port BETWEEN 1 AND 65535)
)
-- Room on each page so that moving last_reading_at is a HOT update (no index touched).
WITH (fillfactor = 80);
-- unique=True with index=True: SQLAlchemy makes one unique index of that name.
CREATE UNIQUE INDEX ix_grid_sensors_sensor_id ON grid_sensors (sensor_id);
CREATE INDEX ix_grid_sensors_sensor_type ON grid_sensors (sensor_type);
CREATE INDEX ix_grid_sensors_status ON grid_sensors (status);
CREATE INDEX idx_sensor_type_status ON grid_sensors (sensor_type, status);
CREATE INDEX idx_sensor_substation ON grid_sensors (substation_id, sensor_type);
CREATE INDEX ix_grid_sensors_transformer_id ON grid_sensors (transformer_id)
    WHERE transformer_id IS NOT NULL;
-- Fired only by updates that set some column other than last_reading_at: ingest moves that
-- one for every sensor of every batch (tens of thousands of rows a second), and it is not an
-- edit of the sensor. The argument keeps the rule even for an update that sets both.
CREATE TRIGGER grid_sensors_updated_at
    BEFORE UPDATE OF substation_id, transformer_id, sensor_id, sensor_type, sensor_model,
        manufacturer, location_description, installation_date, measurement_unit,
        sampling_rate_hz, precision_decimals, calibration_offset, calibration_scale,
        last_calibration_date, next_calibration_date, status, is_critical, ip_address, port,
        protocol, metadata, created_at, updated_at
    ON grid_sensors
    FOR EACH ROW EXECUTE FUNCTION set_updated_at('last_reading_at');
