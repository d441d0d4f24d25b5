#![doc = include_str!("../README.md")]

pub mod frame;
pub mod judge;
pub mod policy;
pub mod proxy;
pub mod watch;
