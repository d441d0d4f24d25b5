#![doc = include_str!("../README.md")]

pub mod capabilities;

pub use capabilities::{Capabilities, ServerMode};
