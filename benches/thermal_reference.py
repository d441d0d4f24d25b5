"""The reference of the thermal benchmark: the IEC 60076-7 model of the PyPI package
transformer-thermal-model over one transformer-year at 1-minute steps (525,600 steps), the
same profile shape as the Rust side. Prints `steps=N seconds=S` for model.run() alone."""
import math
import time
from datetime import datetime, timedelta

from transformer_thermal_model.cooler import CoolerType
from transformer_thermal_model.model import Model
from transformer_thermal_model.schemas import InputProfile, UserTransformerSpecifications
from transformer_thermal_model.schemas.thermal_model.initial_state import InitialLoad
from transformer_thermal_model.transformer import PowerTransformer

N = 365 * 24 * 60
start = datetime(2026, 1, 1)
index = [start + timedelta(minutes=m) for m in range(N)]
load = [1000.0 * (0.55 + 0.5 * math.exp(-(((m / 60.0) % 24 - 20.0) ** 2) / 4.0)) for m in range(N)]
ambient = [24.0 - 7.0 * math.cos(((m / 60.0) % 24 - 3.0) / 24.0 * 2 * math.pi) for m in range(N)]
profile = InputProfile.create(datetime_index=index, load_profile=load, ambient_temperature_profile=ambient)
specs = UserTransformerSpecifications(
    load_loss=6000.0, nom_load_sec_side=1000.0, no_load_loss=1000.0, amb_temp_surcharge=0.0,
    top_oil_temp_rise=55.0, winding_oil_gradient=25.0, hot_spot_fac=1.0,
)
model = Model(
    temperature_profile=profile,
    transformer=PowerTransformer(user_specs=specs, cooling_type=CoolerType.ONAF),
    initial_condition=InitialLoad(initial_load=load[0]),
)
t = time.perf_counter()
model.run()
print(f"steps={N} seconds={time.perf_counter() - t:.3f}")
