"""Runs the IEC 60076-7 model of the PyPI package transformer-thermal-model (Alliander's,
independent of this project) on a profile read as JSON from stdin; writes the top-oil and
hot-spot series as JSON to stdout.

Input: {"cooling": "ONAN"|"ONAF", "minutes": [...], "load_pu": [...], "ambient_c": [...],
        "rated_top_oil_rise_k", "rated_hot_spot_gradient_k", "loss_ratio", "oil_exponent",
        "winding_exponent", "oil_time_constant_min", "winding_time_constant_min",
        "k11", "k21", "k22"}
The package takes load in amperes against a nominal current and losses in watts: a nominal
current of 1000 A and a no-load loss of 1000 W make K and R what the input says. The
hot-spot factor is 1 with the whole gradient given as the winding-oil gradient, and the
model starts from the steady state of the first load (InitialLoad), as grid-thermal does.
"""
import json
import sys
from datetime import datetime, timedelta

from transformer_thermal_model.cooler import CoolerType
from transformer_thermal_model.model import Model
from transformer_thermal_model.schemas import InputProfile, UserTransformerSpecifications
from transformer_thermal_model.schemas.thermal_model.initial_state import InitialLoad
from transformer_thermal_model.transformer import PowerTransformer

NOMINAL_A = 1000.0
NO_LOAD_W = 1000.0

p = json.load(sys.stdin)
start = datetime(2026, 1, 1)
index = [start + timedelta(minutes=m) for m in p["minutes"]]
profile = InputProfile.create(
    datetime_index=index,
    load_profile=[k * NOMINAL_A for k in p["load_pu"]],
    ambient_temperature_profile=p["ambient_c"],
)
specs = UserTransformerSpecifications(
    load_loss=p["loss_ratio"] * NO_LOAD_W,
    nom_load_sec_side=NOMINAL_A,
    no_load_loss=NO_LOAD_W,
    amb_temp_surcharge=0.0,
    top_oil_temp_rise=p["rated_top_oil_rise_k"],
    winding_oil_gradient=p["rated_hot_spot_gradient_k"],
    hot_spot_fac=1.0,
    time_const_oil=p["oil_time_constant_min"],
    time_const_windings=p["winding_time_constant_min"],
    oil_const_k11=p["k11"],
    winding_const_k21=int(p["k21"]),
    winding_const_k22=int(p["k22"]),
    oil_exp_x=p["oil_exponent"],
    winding_exp_y=p["winding_exponent"],
    end_temp_reduction=0.0,
)
transformer = PowerTransformer(user_specs=specs, cooling_type=CoolerType[p["cooling"]])
model = Model(
    temperature_profile=profile,
    transformer=transformer,
    initial_condition=InitialLoad(initial_load=p["load_pu"][0] * NOMINAL_A),
)
out = model.run()
json.dump(
    {
        "top_oil_c": [float(v) for v in out.top_oil_temp_profile.to_numpy()],
        "hot_spot_c": [float(v) for v in out.hot_spot_temp_profile.to_numpy()],
    },
    sys.stdout,
)
