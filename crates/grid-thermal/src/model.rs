//! What both thermal models share: a state advanced step by step under a per-unit load and
//! an ambient temperature, and the two readings taken from it.

/// A thermal model of a transformer: the top-oil temperature and the hot-spot rise over it.
///
/// Each step holds the load and ambient of the interval that ends at the step (a SCADA value
/// is the average of its interval) and advances the state by the exact solution of the
/// model's first-order equations over that interval, so the result does not depend on the
/// step length the way an explicit difference scheme does.
pub trait ThermalModel {
    /// The model's state.
    type State: Copy;

    /// The steady state under a constant per-unit load `k` and ambient `ambient_c` (where a
    /// computation starts: IEC 60076-7 clause 8.2.2 recommends it when nothing better is known).
    fn steady(&self, k: f64, ambient_c: f64) -> Self::State;

    /// Advances `state` by `dt_min` minutes under load `k` and ambient `ambient_c`.
    fn advance(&mut self, state: &mut Self::State, dt_min: f64, k: f64, ambient_c: f64);

    /// The top-oil temperature of `state`, °C.
    fn top_oil_c(&self, state: &Self::State) -> f64;

    /// The hot-spot rise over top oil of `state`, K.
    fn hot_spot_rise_k(&self, state: &Self::State) -> f64;

    /// The hot-spot temperature of `state`, °C.
    fn hot_spot_c(&self, state: &Self::State) -> f64 {
        self.top_oil_c(state) + self.hot_spot_rise_k(state)
    }
}

/// `exp(-dt/tau)` for the last `dt` seen: a series with a fixed step pays one `exp` per
/// time constant, not one per step.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Decay {
    tau: f64,
    dt: f64,
    factor: f64,
}

impl Decay {
    pub(crate) fn new(tau: f64) -> Decay {
        Decay {
            tau,
            dt: f64::NAN,
            factor: f64::NAN,
        }
    }

    #[inline]
    pub(crate) fn at(&mut self, dt: f64) -> f64 {
        if dt != self.dt {
            self.dt = dt;
            self.factor = (-dt / self.tau).exp();
        }
        self.factor
    }
}
