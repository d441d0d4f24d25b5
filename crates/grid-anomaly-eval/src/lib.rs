#![doc = include_str!("../README.md")]

pub mod report;
pub mod score;
pub mod synth;
