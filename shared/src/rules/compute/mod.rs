//! Rules about compute.

use super::Rule;

pub const RULES: &[&dyn Rule] = &[];
