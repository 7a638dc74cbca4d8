//! Rules about operations.

use super::Rule;

pub const RULES: &[&dyn Rule] = &[];
