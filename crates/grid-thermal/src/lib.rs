#![doc = include_str!("../README.md")]

pub mod ageing;
pub mod c57_91;
pub mod error;
pub mod health;
pub mod iec60076_7;
pub mod limits;
pub mod model;
pub mod parameters;
pub mod run;

pub use ageing::{AgeingTotals, ageing_factor};
pub use c57_91::C5791;
pub use error::ThermalError;
pub use health::{Health, HealthInputs};
pub use iec60076_7::Iec600767;
pub use limits::{LimitSource, LoadingCategory, LoadingLimit};
pub use model::ThermalModel;
pub use parameters::{CoolingMode, ModelParameters};
pub use run::{Point, RunOptions, RunSummary, Sample, run};

use grid_model::ThermalMethod;

/// Runs the model `p` names (C57.91 or IEC 60076-7) over `samples`.
pub fn run_with(
    p: &ModelParameters,
    samples: &[Sample],
    options: RunOptions,
    out: impl FnMut(&Point),
) -> Result<RunSummary, ThermalError> {
    match p.method {
        ThermalMethod::IeeeC5791 => run(&mut C5791::new(p), p.insulation, samples, options, out),
        ThermalMethod::Iec600767 => {
            run(&mut Iec600767::new(p), p.insulation, samples, options, out)
        }
    }
}
