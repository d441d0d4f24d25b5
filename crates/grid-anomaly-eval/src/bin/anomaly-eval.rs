//! Prints the anomaly engine's evaluation on the development and the held-out seeds.

use grid_anomaly_eval::report::{DEVELOPMENT_SEEDS, HELD_OUT_SEEDS, evaluate, table};

fn main() {
    let which = std::env::args().nth(1).unwrap_or_default();
    if which != "held-out" {
        println!(
            "{}",
            table("Development seeds", &evaluate(DEVELOPMENT_SEEDS))
        );
    }
    if which != "development" {
        println!("{}", table("Held-out seeds", &evaluate(HELD_OUT_SEEDS)));
    }
}
