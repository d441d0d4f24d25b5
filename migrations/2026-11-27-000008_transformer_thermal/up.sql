-- Transformer thermal ageing (IEEE C57.91-2011 clause 7, IEC 60076-7): each transformer's
-- thermal parameters where they differ from its cooling mode's defaults, and one row of
-- thermal history per transformer and local day, written by grid-health.

CREATE TYPE thermal_method AS ENUM ('ieee_c57_91', 'iec_60076_7');
CREATE TYPE insulation_paper AS ENUM ('thermally_upgraded', 'non_upgraded');
CREATE TYPE thermal_load_source AS ENUM ('transformer_current', 'transformer_load', 'incomer_share');
CREATE TYPE thermal_ambient_source AS ENUM ('sensor', 'zone_profile');

-- A NULL parameter takes the default of the transformer's cooling mode (grid-thermal's
-- table, cited there); a row with every model parameter set also serves a transformer whose
-- cooling_type is unknown.
CREATE TABLE transformer_thermal_parameters (
    transformer_id            uuid PRIMARY KEY REFERENCES transformers (id) ON DELETE CASCADE,
    method                    thermal_method NOT NULL DEFAULT 'ieee_c57_91',
    insulation                insulation_paper NOT NULL DEFAULT 'thermally_upgraded',
    rated_top_oil_rise_k      double precision
        CONSTRAINT ck_transformer_thermal_parameters_rated_top_oil_rise_k CHECK (rated_top_oil_rise_k > 0 AND rated_top_oil_rise_k < 150),
    rated_hot_spot_gradient_k double precision
        CONSTRAINT ck_transformer_thermal_parameters_rated_hot_spot_gradient_k CHECK (rated_hot_spot_gradient_k > 0 AND rated_hot_spot_gradient_k < 150),
    loss_ratio                double precision
        CONSTRAINT ck_transformer_thermal_parameters_loss_ratio CHECK (loss_ratio > 0 AND loss_ratio < 100),
    oil_exponent              double precision
        CONSTRAINT ck_transformer_thermal_parameters_oil_exponent CHECK (oil_exponent > 0 AND oil_exponent <= 2),
    winding_exponent          double precision
        CONSTRAINT ck_transformer_thermal_parameters_winding_exponent CHECK (winding_exponent > 0 AND winding_exponent <= 3),
    oil_time_constant_min     double precision
        CONSTRAINT ck_transformer_thermal_parameters_oil_time_constant_min CHECK (oil_time_constant_min > 0 AND oil_time_constant_min < 10000),
    winding_time_constant_min double precision
        CONSTRAINT ck_transformer_thermal_parameters_winding_time_constant_min CHECK (winding_time_constant_min > 0 AND winding_time_constant_min < 1000),
    k11                       double precision
        CONSTRAINT ck_transformer_thermal_parameters_k11 CHECK (k11 > 0 AND k11 < 10),
    k21                       double precision
        CONSTRAINT ck_transformer_thermal_parameters_k21 CHECK (k21 > 0 AND k21 < 10),
    k22                       double precision
        CONSTRAINT ck_transformer_thermal_parameters_k22 CHECK (k22 > 0 AND k22 < 10),
    normal_life_hours         double precision
        CONSTRAINT ck_transformer_thermal_parameters_normal_life_hours CHECK (normal_life_hours > 0),
    updated_at                timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE transformer_thermal_days (
    transformer_id           uuid NOT NULL REFERENCES transformers (id) ON DELETE CASCADE,
    day                      date NOT NULL,
    method                   thermal_method NOT NULL,
    load_source              thermal_load_source NOT NULL,
    ambient_source           thermal_ambient_source NOT NULL,
    covered_hours            double precision NOT NULL
        CONSTRAINT ck_transformer_thermal_days_covered_hours CHECK (covered_hours >= 0 AND covered_hours <= 25),
    spans                    integer NOT NULL
        CONSTRAINT ck_transformer_thermal_days_spans CHECK (spans >= 0),
    peak_load_pu             double precision
        CONSTRAINT ck_transformer_thermal_days_peak_load_pu CHECK (peak_load_pu >= 0),
    peak_top_oil_c           double precision,
    peak_hot_spot_c          double precision,
    peak_hot_spot_at         timestamptz,
    equivalent_ageing_factor double precision
        CONSTRAINT ck_transformer_thermal_days_equivalent_ageing_factor CHECK (equivalent_ageing_factor >= 0),
    loss_of_life_hours       double precision NOT NULL
        CONSTRAINT ck_transformer_thermal_days_loss_of_life_hours CHECK (loss_of_life_hours >= 0),
    life_consumed_hours      double precision NOT NULL
        CONSTRAINT ck_transformer_thermal_days_life_consumed_hours CHECK (life_consumed_hours >= 0),
    hours_above_110c         double precision NOT NULL
        CONSTRAINT ck_transformer_thermal_days_hours_above_110c CHECK (hours_above_110c >= 0),
    hours_above_120c         double precision NOT NULL
        CONSTRAINT ck_transformer_thermal_days_hours_above_120c CHECK (hours_above_120c >= 0),
    hours_above_140c         double precision NOT NULL
        CONSTRAINT ck_transformer_thermal_days_hours_above_140c CHECK (hours_above_140c >= 0),
    top_oil_residual_mean_k  double precision,
    top_oil_residual_max_k   double precision,
    hot_spot_residual_mean_k double precision,
    hot_spot_residual_max_k  double precision,
    computed_at              timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (transformer_id, day)
);

-- No source this project can cite supports a failure probability from these data
-- (grid-thermal's health module says why): the probabilities become nullable, are left NULL
-- by the thermal assessment, and a named relative index takes their place in rankings.
ALTER TABLE transformers
    ALTER COLUMN failure_probability_7days DROP NOT NULL,
    ALTER COLUMN failure_probability_7days DROP DEFAULT,
    ALTER COLUMN failure_probability_30days DROP NOT NULL,
    ALTER COLUMN failure_probability_30days DROP DEFAULT,
    ADD COLUMN relative_risk_index double precision
        CONSTRAINT ck_transformers_relative_risk_index CHECK (relative_risk_index >= 0);
