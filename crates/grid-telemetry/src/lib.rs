#![doc = include_str!("../README.md")]

pub mod logging;
pub mod prometheus;
