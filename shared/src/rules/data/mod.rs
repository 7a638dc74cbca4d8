//! Rules about data.

use super::Rule;

pub const RULES: &[&dyn Rule] = &[];
