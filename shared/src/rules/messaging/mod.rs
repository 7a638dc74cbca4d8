//! Rules about messaging.

use super::Rule;

pub const RULES: &[&dyn Rule] = &[];
